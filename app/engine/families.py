"""Chat-format families: recognising a model's family and what its format's markup is.

A family is the turn format a model was trained on (ChatML, Llama 3, Gemma, …). It is
recognised from the special tokens of the model's vocabulary, and from its chat template
when it has one, so that Hearth knows which markers end a reply, which markup must never
be shown, how the model writes its thinking, and which built-in template to use when the
model's own template fails or is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from app.engine.reply_parser import ThinkingFormat
    from app.engine.tool_calls import ToolCallFormat

Family = Literal[
    "chatml",
    "llama3",
    "gemma",
    "mistral",
    "phi3",
    "phi4",
    "harmony",
    "deepseek",
    "command-r",
    "granite",
]

FAMILIES: tuple[Family, ...] = get_args(Family)

# Families whose format the tests cover end to end: detection, the built-in template,
# and templates written in the family's style. The welcome panel recommends only these.
TESTED_FAMILIES: frozenset[Family] = frozenset(FAMILIES)

# Each family with the special-token texts that must all be present to recognise it,
# most specific first: several vocabularies hold another family's markers too (gpt-oss
# has <|start|>/<|end|>; Phi-4 has ChatML's <|im_start|> beside its <|im_sep|>; the
# DeepSeek-R1 distills keep their base model's ChatML or Llama 3 tokens; Hermes 3 adds
# ChatML tokens to a Llama 3 vocabulary and speaks ChatML).
_RULES: tuple[tuple[Family, tuple[str, ...]], ...] = (
    ("harmony", ("<|channel|>",)),
    ("phi4", ("<|im_start|>", "<|im_sep|>")),
    ("deepseek", ("<｜User｜>",)),
    ("command-r", ("<|START_OF_TURN_TOKEN|>",)),
    ("granite", ("<|start_of_role|>",)),
    ("gemma", ("<start_of_turn>",)),
    ("chatml", ("<|im_start|>",)),
    ("llama3", ("<|start_header_id|>",)),
    # GLM and Falcon 3 also have <|user|>, but no <|end|>: they are not Phi-3.
    ("phi3", ("<|user|>", "<|end|>")),
    ("mistral", ("[INST]",)),
)

# The token texts a host probes the vocabulary for; detect_family needs no others.
FAMILY_MARKERS: tuple[str, ...] = tuple(
    dict.fromkeys(marker for _, markers in _RULES for marker in markers)
)

# What ends a reply: the family's end-of-turn markers, and the opening of a next turn
# (a model that forgets to close its turn and starts the user's is done). gpt-oss ends
# with <|return|> or <|call|> only: its <|end|> and <|start|> sit between the thinking
# and the answer.
_END_MARKERS: dict[Family, tuple[str, ...]] = {
    "chatml": ("<|im_end|>", "<|im_start|>"),
    "llama3": ("<|eot_id|>", "<|eom_id|>", "<|start_header_id|>"),
    "gemma": ("<end_of_turn>", "<start_of_turn>"),
    "mistral": ("</s>", "[INST]"),
    "phi3": ("<|end|>", "<|user|>", "<|endoftext|>"),
    "phi4": ("<|im_end|>", "<|endoftext|>", "<|im_start|>"),
    "harmony": ("<|return|>", "<|call|>"),
    "deepseek": ("<｜end▁of▁sentence｜>", "<｜User｜>"),
    "command-r": ("<|END_OF_TURN_TOKEN|>", "<|START_OF_TURN_TOKEN|>"),
    "granite": ("<|end_of_text|>", "<|start_of_role|>"),
}

# Other markup of each family that may turn up in a reply and must be dropped unseen.
_OTHER_MARKUP: dict[Family, tuple[str, ...]] = {
    "chatml": ("<|endoftext|>",),
    "llama3": ("<|begin_of_text|>", "<|end_header_id|>", "<|end_of_text|>"),
    "gemma": ("<bos>", "<eos>"),
    "mistral": ("[/INST]",),
    "phi3": ("<|system|>", "<|assistant|>"),
    "phi4": ("<|im_sep|>",),
    "harmony": (
        "<|start|>",
        "<|end|>",
        "<|channel|>",
        "<|message|>",
        "<|constrain|>",
        "<|endoftext|>",
    ),
    "deepseek": ("<｜begin▁of▁sentence｜>", "<｜Assistant｜>"),
    "command-r": (
        "<BOS_TOKEN>",
        "<|SYSTEM_TOKEN|>",
        "<|USER_TOKEN|>",
        "<|CHATBOT_TOKEN|>",
        "<|START_RESPONSE|>",
        "<|END_RESPONSE|>",
    ),
    "granite": ("<|end_of_role|>",),
}

_TITLES: dict[Family, str] = {
    "chatml": "ChatML",
    "llama3": "Llama 3",
    "gemma": "Gemma",
    "mistral": "Mistral",
    "phi3": "Phi-3",
    "phi4": "Phi-4",
    "harmony": "gpt-oss (harmony)",
    "deepseek": "DeepSeek",
    "command-r": "Command-R",
    "granite": "Granite",
}


def detect_family(special_tokens: Collection[str], template_source: str | None) -> Family | None:
    """The family of a model with these special tokens and this chat template, if known.

    The template, when there is one and it writes a family's markers, is the surer sign
    of the format the model speaks; otherwise the vocabulary decides.
    """
    if template_source:
        family = _first_match(lambda marker: marker in template_source)
        if family is not None:
            return family
    present = set(special_tokens)
    return _first_match(present.__contains__)


def _first_match(has: Callable[[str], bool]) -> Family | None:
    for family, markers in _RULES:
        if all(has(marker) for marker in markers):
            return family
    return None


def end_markers(family: Family | None) -> tuple[str, ...]:
    """The texts that end a reply in this family's format (stop strings)."""
    return _END_MARKERS[family] if family else ()


def hidden_markers(family: Family | None) -> tuple[str, ...]:
    """Every marker of this family's markup, none of which may ever be shown.

    With no known family, the markup of every family is hidden.
    """
    if family:
        return _END_MARKERS[family] + _OTHER_MARKUP[family]
    every = (marker for name in FAMILIES for marker in _END_MARKERS[name] + _OTHER_MARKUP[name])
    return tuple(dict.fromkeys(every))


def thinking_format(family: Family | None) -> ThinkingFormat:
    """How the family writes thinking: harmony channels, or <think>-style tags."""
    return "harmony" if family == "harmony" else "tags"


# How each family writes a tool call. Gemma, Phi-4 and unknown families have no call
# format of their own; the Hermes convention (<tool_call>{…}</tool_call>) is the one a
# template that describes tools in its instructions asks them for.
_TOOL_CALL_FORMATS: dict[Family, ToolCallFormat] = {
    "chatml": "hermes",
    "llama3": "llama3",
    "gemma": "hermes",
    "mistral": "mistral",
    "phi3": "phi4-mini",
    "phi4": "hermes",
    "harmony": "harmony",
    "deepseek": "deepseek",
    "command-r": "command-r",
    "granite": "granite",
}


def tool_call_format(family: Family | None) -> ToolCallFormat:
    """How the family writes a tool call, for the reply parser and the call grammar."""
    return _TOOL_CALL_FORMATS[family] if family else "hermes"


def family_title(family: Family | None) -> str:
    """The family's name as the user reads it; an unknown family is treated as ChatML."""
    return _TITLES[family or "chatml"]
