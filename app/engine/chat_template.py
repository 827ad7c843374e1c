"""Turns a conversation into the prompt text a model expects, using its chat template.

Templates are rendered the way Hugging Face transformers renders ``tokenizer.chat_template``
(the reference model authors write them for): see :mod:`app.engine.template_env` for the
environment. Templates come from model files, which anyone can write, so they run in Jinja's
immutable sandbox: a template that reaches for Python internals is refused
(:class:`TemplateRefused`), and one that runs too long or builds too much is stopped within
2 s (:class:`TemplateTooCostly`, see :mod:`app.engine.template_budget`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from app.engine.template_budget import BudgetExceeded, RenderBudget, run_within
from app.engine.template_env import TemplateSandbox
from app.engine.template_errors import ChatTemplateError, TemplateRefused, TemplateTooCostly
from app.engine.template_guards import text_size

__all__ = [
    "CHATML_TEMPLATE",
    "ChatTemplate",
    "ChatTemplateError",
    "TemplateRefused",
    "TemplateTooCostly",
]

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
_T = TypeVar("_T")
_OVERRIDE_HINT = "set a template override for this model"
# Measures the input without a limit: a long conversation is allowed a long prompt.
_MEASURE = RenderBudget(seconds=math.inf, value_limit=sys.maxsize)


class ChatTemplate:
    """A compiled chat template plus the special tokens it may refer to."""

    def __init__(self, source: str, *, bos_token: str = "", eos_token: str = "") -> None:
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        self._environment = TemplateSandbox()
        tree = _guarded(lambda: self._environment.parse(source))
        self._names = _names_read(tree)
        self._template = _guarded(lambda: self._environment.from_string(tree))

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: Sequence[Mapping[str, Any]] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> str:
        """The prompt for ``messages``.

        ``tools`` is passed as the template's ``tools`` (``None`` when not given);
        ``variables`` adds template variables such as ``enable_thinking`` or
        ``reasoning_effort`` (only the keys given are defined; they cannot replace the ones
        above). Each message is passed with exactly the fields it has.
        """
        context: dict[str, Any] = dict(variables or {})
        context.update(
            messages=[dict(message) for message in messages],
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            tools=None if tools is None else list(tools),
        )
        input_chars = text_size(context, _MEASURE)
        return _guarded(lambda: self._template.render(context), input_chars)

    def reads(self, name: str) -> bool:
        """Does the template refer to ``name``: as a variable (``enable_thinking``,
        ``reasoning_effort``, ``tools``), or as a field (``message.reasoning_content``,
        ``message['tool_calls']``, ``'reasoning_content' in message``)?"""
        return name in self._names

    def validate(self) -> None:
        """Renders a sample conversation, so a hostile or broken template fails at load."""
        try:
            self.render(_SAMPLE_CONVERSATION)
        except (TemplateRefused, TemplateTooCostly):
            raise
        except ChatTemplateError:
            # Some templates reject a system message; try without before giving up.
            self.render(_SAMPLE_CONVERSATION[1:])


def _guarded(work: Callable[[], _T], input_chars: int = 0) -> _T:
    """Runs ``work`` (compiling or rendering) under a fresh budget, turning whatever it
    raises into a ChatTemplateError whose message is for the user."""
    try:
        return run_within(RenderBudget(input_chars=input_chars), work)
    except BudgetExceeded as stopped:
        raise TemplateTooCostly(f"the chat template {stopped.reason}") from None
    except RecursionError:
        raise TemplateTooCostly(
            "the chat template nests too deeply (runaway recursion) and was stopped"
        ) from None
    except MemoryError:
        raise TemplateTooCostly("the chat template ran out of memory and was stopped") from None
    except SecurityError as error:
        raise TemplateRefused(
            f"the chat template tried to reach Python internals and was refused ({error});"
            f" {_OVERRIDE_HINT}"
        ) from None
    except ChatTemplateError:
        raise
    except jinja2.TemplateSyntaxError as error:
        raise ChatTemplateError(
            f"the chat template has a syntax error (line {error.lineno}): {error.message}"
        ) from None
    except jinja2.TemplateError as error:
        raise ChatTemplateError(f"the chat template failed: {error}") from None
    except Exception as error:  # templates can raise anything from filters
        raise ChatTemplateError(f"the chat template failed: {error!r}") from None


def _names_read(tree: nodes.Template) -> frozenset[str]:
    names: set[str] = set()
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Const)):
        if isinstance(node, nodes.Name):
            names.add(node.name)
        elif isinstance(node, nodes.Getattr):
            names.add(node.attr)
        elif isinstance(node, nodes.Const) and isinstance(node.value, str):
            names.add(node.value)
    return frozenset(names)
