"""Every conversation renders: folded instructions, merged turns, a built-in fallback."""

from __future__ import annotations

import time

import pytest

from app.engine.builtin_templates import builtin_template
from app.engine.chat_template import ChatTemplate, TemplateRefused, TemplateTooCostly
from app.engine.families import Family, detect_family
from app.engine.prompt_builder import PromptBuilder
from tests.support import family_templates

# Test templates written for these tests in each family's style.
GEMMA2_STYLE = r"""
{{- bos_token -}}
{%- if messages[0]['role'] == 'system' -%}
  {{- raise_exception('System role not supported') -}}
{%- endif -%}
{%- for message in messages -%}
  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') -}}
  {%- endif -%}
  {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
  {{- '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<start_of_turn>model\n' -}}{%- endif -%}
"""

MISTRAL_STYLE = r"""
{%- if messages[0].role == 'system' -%}
  {%- set system_message = messages[0].content -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set turns = messages -%}
{%- endif -%}
{{- bos_token -}}
{%- for message in turns -%}
  {%- if (message.role == 'user') != (loop.index0 % 2 == 0) -%}
    {{- raise_exception('After the optional system message, roles must alternate') -}}
  {%- endif -%}
  {%- if message.role == 'user' -%}
    {%- if loop.last and system_message is defined -%}
      {{- '[INST] ' + system_message + '\n\n' + message.content + '[/INST]' -}}
    {%- else -%}
      {{- '[INST] ' + message.content + '[/INST]' -}}
    {%- endif -%}
  {%- else -%}
    {{- ' ' + message.content + eos_token -}}
  {%- endif -%}
{%- endfor -%}
"""

CHATML_STYLE = r"""
{%- for message in messages -%}
  {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}
"""

# Calls a helper that does not exist: fails on every conversation. (An unknown filter
# fails earlier, when the template is compiled, before any builder sees it.)
BROKEN = "{% for message in messages %}{{ render_turn(message) }}{% endfor %}"

# A QwQ-style template whose generation prompt opens the thinking.
FORCED_THINK = CHATML_STYLE.replace(
    "'<|im_start|>assistant\\n'", "'<|im_start|>assistant\\n<think>\\n'"
)
# A Magistral-style template whose generation prompt opens a [THINK] block.
FORCED_BRACKET_THINK = (
    "{%- for message in messages -%}{{- '[INST] ' + message.content + '[/INST]' -}}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '[THINK]' -}}{%- endif -%}"
)

# A Qwen3-style template: reads enable_thinking, an empty think block turns it off.
QWEN3_STYLE = CHATML_STYLE.replace(
    "{{- '<|im_start|>assistant\\n' -}}",
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}{%- endif -%}",
)

# A SmolLM3-style template: thinking is turned off by "/no_think" in the system message.
SMOLLM3_STYLE = r"""
{%- set reasoning = 'on' -%}
{%- if messages[0].role == 'system' and '/no_think' in messages[0].content -%}
  {%- set reasoning = 'off' -%}
{%- endif -%}
{{- '<|im_start|>system\nReasoning: /' + ('think' if reasoning == 'on' else 'no_think') -}}
{{- '<|im_end|>\n' -}}
{%- for message in messages -%}
  {%- if message.role != 'system' -%}
    {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|im_start|>assistant\n' -}}
  {%- if reasoning == 'off' -%}{{- '<think>\n\n</think>\n' -}}{%- endif -%}
{%- endif -%}
"""

# A gpt-oss-style template: the effort goes into its own system message.
EFFORT_STYLE = r"""
{%- set effort = reasoning_effort if reasoning_effort is defined else 'medium' -%}
{{- '<|start|>system<|message|>Reasoning: ' + effort + '<|end|>' -}}
{%- for message in messages -%}
  {{- '<|start|>' + message.role + '<|message|>' + message.content + '<|end|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|start|>assistant' -}}{%- endif -%}
"""

INSTRUCTIONS = {"role": "system", "content": "Answer like a pirate."}
HELLO = {"role": "user", "content": "Hello"}


def builder(source: str, family: Family | None = None, **tokens: str) -> PromptBuilder:
    return PromptBuilder(ChatTemplate(source, **tokens), family)


def test_a_template_that_refuses_a_system_role_gets_instructions_in_the_first_message():
    prompts = builder(GEMMA2_STYLE, "gemma", bos_token="<bos>")
    assert prompts.supports_system is False
    assert prompts.template_note == (
        "This model's template refuses a system role: your instructions go at the top of"
        " your first message."
    )
    rendered = prompts.render([INSTRUCTIONS, HELLO])
    assert rendered.text == (
        "<bos><start_of_turn>user\nAnswer like a pirate.\n\nHello<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    assert rendered.system_folded is True
    assert rendered.fallback_family is None


def test_without_instructions_nothing_is_folded():
    prompts = builder(GEMMA2_STYLE, "gemma")
    rendered = prompts.render([HELLO])
    assert rendered.system_folded is False
    assert rendered.text == "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n"


def test_a_template_that_takes_a_system_role_is_left_alone():
    prompts = builder(CHATML_STYLE, "chatml")
    assert prompts.supports_system is True
    assert prompts.template_note == ""
    rendered = prompts.render([INSTRUCTIONS, HELLO])
    assert rendered.text.startswith("<|im_start|>system\nAnswer like a pirate.<|im_end|>\n")
    assert not rendered.system_folded and rendered.fallback_family is None


def test_a_stopped_empty_reply_does_not_break_an_alternating_template():
    prompts = builder(MISTRAL_STYLE, "mistral", bos_token="<s>", eos_token="</s>")
    conversation = [
        INSTRUCTIONS,
        {"role": "user", "content": "Tell me a story."},
        {"role": "assistant", "content": ""},  # stopped before any text
        {"role": "user", "content": "A short one."},
    ]
    rendered = prompts.render(conversation)
    assert rendered.fallback_family is None  # the model's own template took it
    assert rendered.text == (
        "<s>[INST] Answer like a pirate.\n\nTell me a story.\n\nA short one.[/INST]"
    )


def test_a_broken_template_falls_back_to_the_familys_builtin_and_says_so():
    prompts = builder(BROKEN, "llama3", bos_token="<|begin_of_text|>")
    note = prompts.template_note
    assert note.startswith("This model's own chat template failed (")
    assert "render_turn" in note
    assert note.endswith("; Hearth used its built-in Llama 3 template.")
    rendered = prompts.render([INSTRUCTIONS, HELLO])
    assert rendered.fallback_family == "llama3"
    expected = ChatTemplate(builtin_template("llama3"), bos_token="<|begin_of_text|>")
    assert rendered.text == expected.render([INSTRUCTIONS, HELLO])
    assert rendered.text.startswith("<|begin_of_text|><|start_header_id|>system")


def test_a_broken_template_of_an_unknown_family_falls_back_to_chatml():
    prompts = builder(BROKEN, None)
    rendered = prompts.render([HELLO])
    assert rendered.fallback_family == "chatml"
    assert rendered.text == "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
    assert "built-in ChatML template" in prompts.template_note


def test_the_builtin_gemma_fallback_folds_instructions_itself():
    prompts = builder(BROKEN, "gemma", bos_token="<bos>")
    rendered = prompts.render([INSTRUCTIONS, HELLO])
    assert rendered.fallback_family == "gemma"
    assert rendered.system_folded is True
    assert "<start_of_turn>user\nAnswer like a pirate.\n\nHello<end_of_turn>" in rendered.text


def test_a_template_failing_on_one_conversation_falls_back_for_that_one_only():
    picky = (
        "{%- for message in messages -%}"
        "{%- if 'forbidden' in message.content -%}{{ raise_exception('no') }}{%- endif -%}"
        "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
        "{%- endfor -%}"
    )
    prompts = builder(picky, "chatml")
    assert prompts.template_note == ""
    failing = prompts.render([{"role": "user", "content": "a forbidden word"}])
    assert failing.fallback_family == "chatml"
    assert "Hearth used its built-in ChatML template" in prompts.template_note
    fine = prompts.render([HELLO])
    assert fine.fallback_family is None
    assert fine.text == "<|im_start|>user\nHello<|im_end|>\n"
    assert prompts.template_note == ""


def test_a_hostile_template_is_refused_not_replaced():
    hostile = "{% set items = [] %}{{ items.append(1) }}{{ messages[0].content }}"
    with pytest.raises(TemplateRefused):
        builder(hostile, "chatml")


def test_a_template_too_costly_for_a_tiny_chat_is_refused_at_once():
    endless = (
        "{% for a in range(100000) %}{% for b in range(100000) %}{{ '' }}{% endfor %}{% endfor %}"
    )
    started = time.monotonic()
    with pytest.raises(TemplateTooCostly):
        builder(endless, "chatml")
    assert time.monotonic() - started < 6


def test_a_template_too_costly_for_a_long_chat_gives_way_to_the_builtin_for_good():
    heavy_when_long = (
        "{%- if messages | length > 6 -%}"
        "{%- for a in range(100000) -%}{%- for b in range(100000) -%}{{- '' -}}"
        "{%- endfor -%}{%- endfor -%}{%- endif -%}" + CHATML_STYLE
    )
    prompts = builder(heavy_when_long, "chatml")
    long_chat = [
        {"role": "user" if turn % 2 == 0 else "assistant", "content": f"turn {turn}"}
        for turn in range(7)
    ]
    first = prompts.render(long_chat)
    assert first.fallback_family == "chatml"
    assert "built-in ChatML template" in prompts.template_note
    started = time.monotonic()
    again = prompts.render([HELLO])
    assert again.fallback_family == "chatml"
    assert time.monotonic() - started < 0.5  # the costly template is not tried again


def test_a_generation_prompt_that_opens_thinking_is_noticed():
    assert builder(FORCED_THINK).render([HELLO]).starts_in_thinking is True
    assert builder(FORCED_BRACKET_THINK).render([HELLO]).starts_in_thinking is True
    assert builder(CHATML_STYLE).render([HELLO]).starts_in_thinking is False


def test_the_deepseek_builtin_starts_the_reply_in_thinking():
    rendered = builder(BROKEN, "deepseek").render([HELLO])
    assert rendered.fallback_family == "deepseek"
    assert rendered.starts_in_thinking is True


def test_thinking_can_be_turned_off_where_the_template_reads_enable_thinking():
    prompts = builder(QWEN3_STYLE, "chatml")
    assert prompts.supports_thinking_toggle is True
    assert prompts.supports_effort is False
    default = prompts.render([HELLO])
    off = prompts.render([HELLO], options={"enable_thinking": False})
    assert default.text.endswith("<|im_start|>assistant\n")
    assert off.text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert off.starts_in_thinking is False
    # An option left unset is not passed at all: the template's default applies.
    assert prompts.render([HELLO], options={"enable_thinking": None}).text == default.text


def test_the_no_think_convention_is_used_where_the_template_follows_it():
    prompts = builder(SMOLLM3_STYLE, "chatml")
    assert prompts.supports_thinking_toggle is True
    default = prompts.render([INSTRUCTIONS, HELLO])
    assert "Reasoning: /think" in default.text
    off = prompts.render([INSTRUCTIONS, HELLO], options={"enable_thinking": False})
    assert "Reasoning: /no_think" in off.text
    assert off.text.endswith("<think>\n\n</think>\n")
    # With no instructions of the user's, the flag gets a system message of its own.
    alone = prompts.render([HELLO], options={"enable_thinking": False})
    assert "Reasoning: /no_think" in alone.text


def test_the_flag_is_added_to_a_copy_of_the_instructions():
    prompts = builder(SMOLLM3_STYLE, "chatml")
    conversation = [dict(INSTRUCTIONS), dict(HELLO)]
    prompts.render(conversation, options={"enable_thinking": False})
    assert conversation == [INSTRUCTIONS, HELLO]


def test_a_template_without_thinking_controls_offers_none():
    prompts = builder(CHATML_STYLE, "chatml")
    assert prompts.supports_thinking_toggle is False
    assert prompts.supports_effort is False


def test_the_reasoning_effort_reaches_a_template_that_reads_it():
    prompts = builder(EFFORT_STYLE, "harmony")
    assert prompts.supports_effort is True
    assert "Reasoning: medium" in prompts.render([HELLO]).text
    high = prompts.render([HELLO], options={"reasoning_effort": "high"})
    assert high.text.startswith("<|start|>system<|message|>Reasoning: high<|end|>")


# The shared family-style templates (tests/support/family_templates), with the family
# each is recognised as and the controls it offers.
FAMILY_STYLE: dict[str, tuple[Family | None, bool, bool, bool]] = {
    #                             family     system toggle effort
    "command_r7b_break": ("command-r", True, False, False),
    "deepseek_r1_forced_think": ("deepseek", True, False, False),
    "gemma2_no_system": ("gemma", False, False, False),
    "gemma3": ("gemma", True, False, False),
    "glm_tojson": (None, True, True, False),
    "gpt_oss_harmony": ("harmony", True, False, True),
    "granite_tojson_strftime": ("granite", True, False, False),
    "llama3_dates_builtin_tools": ("llama3", True, False, False),
    "mistral_alternation": ("mistral", True, False, False),
    "phi4": ("phi4", True, False, False),
    "phi4_mini_tools": ("phi3", True, False, False),
    "qwen25_tools": ("chatml", True, False, False),
    "qwen3_thinking": ("chatml", True, True, False),
    "qwq_open_think": ("chatml", True, False, False),
    "smollm3_generation": ("chatml", True, True, False),
}

# Instructions, then a reply stopped before any text: two user turns in a row.
STOPPED_REPLY = [
    INSTRUCTIONS,
    {"role": "user", "content": "Tell me a story."},
    {"role": "assistant", "content": ""},
    {"role": "user", "content": "A short one."},
]


@pytest.mark.parametrize("name", family_templates.names())
def test_every_family_style_template_renders_a_conversation_with_a_stopped_reply(name: str):
    family, system, toggle, effort = FAMILY_STYLE[name]
    source = family_templates.load(name)
    assert detect_family(set(), source) == family
    prompts = PromptBuilder(ChatTemplate(source, bos_token="<s>", eos_token="</s>"), family)
    assert (prompts.supports_system, prompts.supports_thinking_toggle) == (system, toggle)
    assert prompts.supports_effort is effort
    rendered = prompts.render(STOPPED_REPLY)
    assert rendered.fallback_family is None  # the model's own template, as written
    assert rendered.system_folded is not system
    assert "Answer like a pirate." in rendered.text
    assert "Tell me a story.\n\nA short one." in rendered.text


@pytest.mark.parametrize(
    ("name", "opens"),
    [("qwq_open_think", True), ("deepseek_r1_forced_think", True), ("qwen3_thinking", False)],
)
def test_family_templates_that_open_thinking_are_noticed(name: str, opens: bool):
    prompts = PromptBuilder(ChatTemplate(family_templates.load(name)), None)
    assert prompts.render([HELLO]).starts_in_thinking is opens


def test_gemma2_style_instructions_go_at_the_top_of_the_first_message():
    prompts = PromptBuilder(ChatTemplate(family_templates.load("gemma2_no_system")), "gemma")
    rendered = prompts.render(STOPPED_REPLY)
    assert rendered.text == (
        "<start_of_turn>user\nAnswer like a pirate.\n\nTell me a story.\n\nA short one."
        "<end_of_turn>\n<start_of_turn>model\n"
    )
    assert "refuses a system role" in prompts.template_note


def test_gpt_oss_style_effort_and_qwen3_style_thinking_switch_reach_their_templates():
    harmony = PromptBuilder(ChatTemplate(family_templates.load("gpt_oss_harmony")), "harmony")
    assert "Reasoning: low" in harmony.render([HELLO], options={"reasoning_effort": "low"}).text
    qwen3 = PromptBuilder(ChatTemplate(family_templates.load("qwen3_thinking")), "chatml")
    off = qwen3.render([HELLO], options={"enable_thinking": False})
    assert off.text.endswith("<think>\n\n</think>\n\n")


def test_the_models_own_thinking_default_is_read_from_its_template():

    qwen3 = PromptBuilder(ChatTemplate(family_templates.load("qwen3_thinking")), "chatml")
    assert qwen3.supports_thinking_toggle
    assert qwen3.thinking_default is True  # thinks unless told not to
    plain = PromptBuilder(ChatTemplate(family_templates.load("qwen25_tools")), "chatml")
    assert plain.thinking_default is None
