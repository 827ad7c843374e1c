"""Turns a conversation into the prompt text a model expects, using its chat template.

Templates come from model files, which anyone can write, so they are rendered in
Jinja's immutable sandbox: a template that reaches for Python internals
(``__class__``, ``__globals__``, methods that mutate) is refused, and no code of its
choosing runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Used when a model file carries no template: ChatML, the most common format.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_SAMPLE_CONVERSATION = (
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi!"},
    {"role": "user", "content": "How are you?"},
)


class ChatTemplateError(ValueError):
    """The template cannot be used; the message says why, for the user."""


class TemplateRefused(ChatTemplateError):
    """The template tried to reach outside the sandbox and was refused."""


def _raise_exception(message: str) -> None:
    raise ChatTemplateError(f"the chat template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class ChatTemplate:
    """A compiled chat template plus the special tokens it may refer to."""

    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "") -> None:
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        environment = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        )
        environment.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
        try:
            self._template = environment.from_string(source)
        except jinja2.TemplateSyntaxError as error:
            raise ChatTemplateError(
                f"the chat template has a syntax error (line {error.lineno}): {error.message}"
            ) from None

    def render(
        self, messages: Sequence[dict[str, str]], *, add_generation_prompt: bool = True
    ) -> str:
        context: dict[str, Any] = {
            "messages": [dict(message) for message in messages],
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        try:
            return self._template.render(context)
        except SecurityError as error:
            raise TemplateRefused(
                "the chat template tried to reach Python internals and was refused"
                f" ({error}); set a template override for this model"
            ) from None
        except ChatTemplateError:
            raise
        except jinja2.TemplateError as error:
            raise ChatTemplateError(f"the chat template failed: {error}") from None
        except Exception as error:  # templates can raise anything from filters
            raise ChatTemplateError(f"the chat template failed: {error!r}") from None

    def validate(self) -> None:
        """Renders a sample conversation, so a hostile or broken template fails at load."""
        try:
            self.render(_SAMPLE_CONVERSATION)
        except TemplateRefused:
            raise
        except ChatTemplateError:
            # Some templates reject a system message; try without before giving up.
            self.render(_SAMPLE_CONVERSATION[1:])
