"""Builds the prompt text for a conversation so that it always renders.

The model's own chat template is used as written. Around it, a conversation is first
normalised (no empty turns, no two turns of one role in a row); a template that refuses
a system role gets the custom instructions at the top of the first user turn; and a
template that fails for a conversation is replaced, for that conversation, by Hearth's
built-in template for the model's family, with a one-line note for the user. A template
refused as hostile is never quietly replaced: that error reaches the user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.chat.normalize import normalize_messages
from app.engine.builtin_templates import builtin_template
from app.engine.chat_template import (
    ChatTemplate,
    ChatTemplateError,
    TemplateRefused,
    TemplateTooCostly,
)
from app.engine.families import Family, family_title, tool_call_format
from app.engine.tools_note import with_tools_note

# A small conversation that shows whether a template takes a system message.
_PROBE_TURNS: tuple[dict[str, str], ...] = (
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": "Tell me a joke."},
)
_PROBE_SYSTEM = {"role": "system", "content": "You are a helpful assistant."}

# Generation prompts that open the model's thinking for it.
_THINKING_OPENERS = ("<think>", "[THINK]")

# The SmolLM3 convention: a flag in the system message turns thinking off or on.
_NO_THINK = "/no_think"
_THINK = "/think"
# Either flag as the template would look for it, not the closing tag </think>.
_THINKING_FLAG = re.compile(r"(?<!<)/(no_)?think\b")

# Error messages often begin by saying what the note already says.
_REDUNDANT_PREFIXES = ("the chat template failed:",)

_FOLDED_NOTE = (
    "This model's template refuses a system role: your instructions go at the top of"
    " your first message."
)


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    system_folded: bool  # instructions moved into the first user turn
    fallback_family: Family | None  # built-in template used instead of the model's own
    starts_in_thinking: bool  # generation prompt ends inside an open <think>/[THINK]


class PromptBuilder:
    """Renders conversations with one model's template; see the module docstring.

    Raises ``TemplateRefused`` or ``TemplateTooCostly`` at construction for a template
    that is hostile or cannot render even a three-turn chat in time.
    """

    def __init__(self, template: ChatTemplate, family: Family | None) -> None:
        self.template = template
        self.family = family
        self._fallback_family: Family = family or "chatml"
        self._fallback: ChatTemplate | None = None
        self.supports_system, broken = self._probe()
        # A template that cannot render even the probe is not tried again.
        self._always_fallback = bool(broken)
        self._fallback_reason = broken
        self.supports_effort = template.reads("reasoning_effort")
        self._reads_tools = template.reads("tools")
        self._reads_thinking = template.reads("enable_thinking")
        self._think_convention = not self._reads_thinking and bool(
            _THINKING_FLAG.search(template.source)
        )
        self.supports_thinking_toggle = self._reads_thinking or self._think_convention
        self.thinking_default = self._probe_thinking_default()

    @property
    def template_note(self) -> str:
        """One line for the user when a fallback or a fold is in use, else "".

        It describes the template the latest render used (the probe's, before any).
        """
        if self._fallback_reason:
            return (
                f"This model's own chat template failed ({_clause(self._fallback_reason)});"
                f" Hearth used its built-in {family_title(self._fallback_family)} template."
            )
        if not self.supports_system:
            return _FOLDED_NOTE
        return ""

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        describe_tools: bool = True,
    ) -> RenderedPrompt:
        """The prompt for ``messages``, with the generation prompt for the model's reply.

        ``options``: ``enable_thinking`` (bool) and ``reasoning_effort`` (str), only
        when set; they reach the template as variables of those names. ``tools`` (the
        offered tools' specs) reaches it as ``tools``; a template with no place for them
        gets them described in the instructions, unless ``describe_tools`` is False (a
        grammar forcing the call writes its syntax itself).
        """
        variables = {key: value for key, value in (options or {}).items() if value is not None}
        tools = variables.pop("tools", None) or None
        turns = normalize_messages(messages)
        if self._think_convention and "enable_thinking" in variables:
            turns = _with_thinking_flag(turns, bool(variables["enable_thinking"]))
        # Templates with no place for tools (the built-in ones included) are told of
        # them in the instructions.
        noted = (
            with_tools_note(turns, tools, tool_call_format(self.family))
            if tools and describe_tools
            else turns
        )
        has_system = bool(turns) and turns[0].get("role") == "system"
        if not self._always_fallback:
            own = turns if self._reads_tools else noted
            own_turns = own if self.supports_system else _fold_system(own)
            try:
                text = self.template.render(own_turns, tools=tools, variables=variables)
            except TemplateRefused:
                raise
            except TemplateTooCostly as error:
                # Costly for this conversation: stay on the built-in template from now
                # on rather than spend the time limit on every send.
                self._always_fallback = True
                self._fallback_reason = str(error)
            except ChatTemplateError as error:
                self._fallback_reason = str(error) or type(error).__name__
            else:
                self._fallback_reason = ""
                return RenderedPrompt(
                    text=text,
                    system_folded=has_system and not self.supports_system,
                    fallback_family=None,
                    starts_in_thinking=_opens_thinking(text),
                )
        text = self._fallback_template().render(noted, tools=tools, variables=variables)
        return RenderedPrompt(
            text=text,
            # The built-in Gemma and Mistral templates fold instructions in themselves.
            system_folded=has_system and self._fallback_family in ("gemma", "mistral"),
            fallback_family=self._fallback_family,
            starts_in_thinking=_opens_thinking(text),
        )

    def _probe_thinking_default(self) -> bool | None:
        """Whether the template thinks when ``enable_thinking`` is left unset: the render
        without it matches the one with True or the one with False (None: neither, or
        the template has no such switch)."""
        if not self._reads_thinking or self._always_fallback:
            return None
        turns = list(_PROBE_TURNS)
        try:
            unset = self.template.render(turns)
            on = self.template.render(turns, variables={"enable_thinking": True})
            off = self.template.render(turns, variables={"enable_thinking": False})
        except ChatTemplateError:
            return None
        if unset == on != off:
            return True
        if unset == off != on:
            return False
        return None

    def _probe(self) -> tuple[bool, str]:
        """(takes a system message, why it renders nothing at all or ""), from two renders."""
        try:
            self.template.render([_PROBE_SYSTEM, *_PROBE_TURNS])
            return True, ""
        except (TemplateRefused, TemplateTooCostly):
            raise
        except ChatTemplateError:
            pass
        try:
            self.template.render(list(_PROBE_TURNS))
        except (TemplateRefused, TemplateTooCostly):
            raise
        except ChatTemplateError as error:
            return True, str(error) or type(error).__name__
        return False, ""

    def _fallback_template(self) -> ChatTemplate:
        if self._fallback is None:
            self._fallback = ChatTemplate(
                builtin_template(self._fallback_family),
                bos_token=getattr(self.template, "bos_token", ""),
                eos_token=getattr(self.template, "eos_token", ""),
            )
        return self._fallback


def _fold_system(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The leading system message's text put at the top of the first user turn."""
    if not turns or turns[0].get("role") != "system":
        return turns
    instructions, rest = turns[0]["content"], turns[1:]
    if rest and rest[0].get("role") == "user":
        first = dict(rest[0], content=instructions + "\n\n" + rest[0]["content"])
        return [first, *rest[1:]]
    return [{"role": "user", "content": instructions}, *rest]


def _with_thinking_flag(turns: list[dict[str, Any]], thinking: bool) -> list[dict[str, Any]]:
    """The system message with the /think or /no_think flag added (SmolLM3 convention)."""
    flag = _THINK if thinking else _NO_THINK
    if turns and turns[0].get("role") == "system":
        system = dict(turns[0], content=turns[0]["content"].rstrip() + " " + flag)
        return [system, *turns[1:]]
    return [{"role": "system", "content": flag}, *turns]


def _opens_thinking(text: str) -> bool:
    return text.rstrip().endswith(_THINKING_OPENERS)


def _clause(reason: str) -> str:
    """An error message shortened to fit inside one sentence."""
    reason = " ".join(reason.split()).rstrip(".")
    for prefix in _REDUNDANT_PREFIXES:
        if reason.lower().startswith(prefix):
            reason = reason[len(prefix) :].lstrip()
    return reason if len(reason) <= 160 else reason[:157] + "…"
