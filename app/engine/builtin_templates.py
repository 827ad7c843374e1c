"""Hearth's own chat templates, one per family, for models whose template fails or is missing.

They are deliberately plain: every turn in the family's format, the system message where
the family expects it (folded into the first user turn for Gemma and Mistral, which have
no system role), the BOS token where the family writes one, and the generation prompt.
Whitespace control is explicit (``{%-``/``-%}``), so the text does not depend on the
renderer's trim settings, and every optional variable is tested with ``is defined``.
"""

from __future__ import annotations

from app.engine.families import Family

# Splits a leading system message from the turns (Gemma and Mistral fold it in).
_SPLIT_INSTRUCTIONS = """
{%- if messages and messages[0].role == 'system' -%}
  {%- set instructions = messages[0].content -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set instructions = '' -%}
  {%- set turns = messages -%}
{%- endif -%}
"""

_CHATML = r"""
{%- for message in messages -%}
  {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|im_start|>assistant\n' -}}
{%- endif -%}
"""

_LLAMA3 = r"""
{{- bos_token -}}
{%- for message in messages -%}
  {{- '<|start_header_id|>' + message.role + '<|end_header_id|>\n\n' -}}
  {{- message.content | trim -}}
  {{- '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}
"""

_GEMMA = (
    r"""
{{- bos_token -}}
"""
    + _SPLIT_INSTRUCTIONS
    + r"""
{%- if instructions and (not turns or turns[0].role != 'user') -%}
  {{- '<start_of_turn>user\n' + instructions | trim + '<end_of_turn>\n' -}}
{%- endif -%}
{%- for message in turns -%}
  {%- set text = message.content | trim -%}
  {%- if loop.first and instructions and message.role == 'user' -%}
    {%- set text = instructions | trim + '\n\n' + text -%}
  {%- endif -%}
  {%- set role = 'model' if message.role == 'assistant' else message.role -%}
  {{- '<start_of_turn>' + role + '\n' + text + '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<start_of_turn>model\n' -}}
{%- endif -%}
"""
)

_MISTRAL = (
    r"""
{{- bos_token -}}
"""
    + _SPLIT_INSTRUCTIONS
    + r"""
{%- if instructions and (not turns or turns[0].role != 'user') -%}
  {{- '[INST] ' + instructions + ' [/INST]' -}}
{%- endif -%}
{%- for message in turns -%}
  {%- if message.role == 'assistant' -%}
    {{- message.content + '</s>' -}}
  {%- elif loop.first and instructions -%}
    {{- '[INST] ' + instructions + '\n\n' + message.content + ' [/INST]' -}}
  {%- else -%}
    {{- '[INST] ' + message.content + ' [/INST]' -}}
  {%- endif -%}
{%- endfor -%}
"""
)

_PHI3 = r"""
{%- for message in messages -%}
  {%- if message.role == 'system' -%}
    {{- '<|system|>\n' -}}
  {%- elif message.role == 'assistant' -%}
    {{- '<|assistant|>\n' -}}
  {%- else -%}
    {{- '<|user|>\n' -}}
  {%- endif -%}
  {{- message.content + '<|end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|assistant|>\n' -}}
{%- endif -%}
"""

_PHI4 = r"""
{%- for message in messages -%}
  {{- '<|im_start|>' + message.role + '<|im_sep|>' + message.content + '<|im_end|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|im_start|>assistant<|im_sep|>' -}}
{%- endif -%}
"""

_HARMONY = r"""
{%- if reasoning_effort is defined and reasoning_effort -%}
  {%- set effort = reasoning_effort -%}
{%- else -%}
  {%- set effort = 'medium' -%}
{%- endif -%}
{{- '<|start|>system<|message|>Reasoning: ' + effort + '\n\n' -}}
{{- '# Valid channels: analysis, commentary, final.'
    ' Channel must be included for every message.<|end|>' -}}
{%- for message in messages -%}
  {%- if message.role == 'system' -%}
    {{- '<|start|>developer<|message|># Instructions\n\n' + message.content + '<|end|>' -}}
  {%- elif message.role == 'assistant' -%}
    {{- '<|start|>assistant<|channel|>final<|message|>' + message.content + '<|end|>' -}}
  {%- else -%}
    {{- '<|start|>' + message.role + '<|message|>' + message.content + '<|end|>' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|start|>assistant' -}}
{%- endif -%}
"""

_DEEPSEEK = r"""
{{- bos_token -}}
{%- if messages and messages[0].role == 'system' -%}
  {{- messages[0].content -}}
{%- endif -%}
{%- for message in messages -%}
  {%- if message.role == 'assistant' -%}
    {{- '<｜Assistant｜>' + message.content + '<｜end▁of▁sentence｜>' -}}
  {%- elif message.role != 'system' -%}
    {{- '<｜User｜>' + message.content -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<｜Assistant｜><think>\n' -}}
{%- endif -%}
"""

_COMMAND_R = r"""
{{- bos_token -}}
{%- for message in messages -%}
  {%- if message.role == 'system' -%}
    {%- set role = '<|SYSTEM_TOKEN|>' -%}
  {%- elif message.role == 'assistant' -%}
    {%- set role = '<|CHATBOT_TOKEN|>' -%}
  {%- else -%}
    {%- set role = '<|USER_TOKEN|>' -%}
  {%- endif -%}
  {{- '<|START_OF_TURN_TOKEN|>' + role + message.content + '<|END_OF_TURN_TOKEN|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' -}}
{%- endif -%}
"""

_GRANITE = r"""
{%- for message in messages -%}
  {{- '<|start_of_role|>' + message.role + '<|end_of_role|>' -}}
  {{- message.content + '<|end_of_text|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|start_of_role|>assistant<|end_of_role|>' -}}
{%- endif -%}
"""

BUILTIN_TEMPLATES: dict[Family, str] = {
    "chatml": _CHATML,
    "llama3": _LLAMA3,
    "gemma": _GEMMA,
    "mistral": _MISTRAL,
    "phi3": _PHI3,
    "phi4": _PHI4,
    "harmony": _HARMONY,
    "deepseek": _DEEPSEEK,
    "command-r": _COMMAND_R,
    "granite": _GRANITE,
}


def builtin_template(family: Family) -> str:
    """Hearth's own Jinja chat template for ``family``."""
    return BUILTIN_TEMPLATES[family].strip()
