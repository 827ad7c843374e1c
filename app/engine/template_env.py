"""The Jinja environment chat templates run in: what Hugging Face transformers offers them,
inside an immutable sandbox whose every output and costly operation is budgeted.

Like transformers' ``apply_chat_template``: ``trim_blocks``, ``lstrip_blocks``, the lenient
default ``Undefined`` (absent names and fields are falsy), ``loopcontrols``
(``{% break %}``, ``{% continue %}``), the ``{% generation %}`` block (its body is rendered as
is), a ``tojson`` filter with ``json.dumps``' keywords that does not HTML-escape, and the
``raise_exception`` and ``strftime_now`` globals.

Beyond Jinja's sandbox: reaching an unsafe attribute is refused outright (not a silent
undefined); compiled templates count every piece of text they write, and ``*``, ``**``,
``+``, ``%``, ``~``, method calls and the text-building filters are size-checked first
(see :mod:`app.engine.template_guards` and :mod:`app.engine.template_budget`).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension, loopcontrols
from jinja2.filters import do_center, do_indent, make_attrgetter, sync_do_join
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum, pass_environment, pass_eval_context
from markupsafe import escape

from app.engine.template_budget import BudgetExceeded, check_size, count_output
from app.engine.template_errors import ChatTemplateError
from app.engine.template_guards import (
    check_binop,
    check_method_call,
    check_printf,
    check_replace,
    check_result,
    text_size,
)

# Filters that turn their input into text: a huge structure is refused before it is printed.
_STRINGIFYING_FILTERS = frozenset(
    {
        "capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower",
        "pprint", "replace", "safe", "string", "striptags", "title", "trim", "truncate",
        "upper", "urlencode", "urlize", "wordcount", "wordwrap",
    }
)  # fmt: skip
_MAX_JSON_INDENT = 100


class GenerationBlock(Extension):
    """``{% generation %}…{% endgeneration %}``: transformers uses it to mark the tokens the
    assistant wrote (for training masks); rendering a prompt, the body is written as is."""

    tags = {"generation"}  # noqa: RUF012 - Jinja's own declaration style

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        call = self.call_method("_render_body")
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render_body(self, caller: Callable[[], str]) -> str:
        return caller()


class _BudgetedCodeGenerator(CodeGenerator):
    """Compiles templates so that every write is counted and every ``~`` is size-checked."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.budget_const({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            autoescape = "context.eval_ctx.autoescape"
        else:
            autoescape = "True" if frame.eval_ctx.autoescape else "False"
        self.write(f"environment.budget_emit({autoescape}, ")
        if finalize.src is not None:
            self.write(finalize.src)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")
        if finalize.src is not None:
            self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)
            return
        self.write("environment.budget_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with Hugging Face's additions and a budget on every render."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BudgetedCodeGenerator

    def __init__(self) -> None:
        super().__init__(
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[GenerationBlock, loopcontrols],
        )
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(
            tojson=tojson,
            center=_center,
            indent=_indent,
            wordwrap=_checked_filter("wordwrap", _wordwrap(self.filters["wordwrap"])),
            replace=_checked_filter("replace", _replace(self.filters["replace"])),
            format=_format(self.filters["format"]),
            join=_join,
            batch=_bounded_fill(self.filters["batch"]),
            slice=_bounded_fill(self.filters["slice"]),
            sum=_sum(self.filters["sum"]),
        )
        self.globals.update(
            raise_exception=raise_exception, strftime_now=strftime_now, lipsum=_lipsum
        )

    # -- sandbox hooks

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return check_result(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        args = check_method_call(obj, args, kwargs)
        return check_result(super().call(context, obj, *args, **kwargs))

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja returns a silent undefined here; a template reaching for Python internals
        # is refused instead, so that the user hears about it.
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    # -- called by the compiled template (see _BudgetedCodeGenerator)

    def budget_emit(self, autoescape: bool, value: Any) -> str:
        check_size(text_size(value))
        text = escape(value) if autoescape else str(value)
        count_output(len(text))
        return text

    def budget_const(self, text: str) -> str:
        count_output(len(text))
        return text

    def budget_concat(self, parts: tuple[Any, ...]) -> str:
        check_size(sum(text_size(part) for part in parts))
        return "".join(map(str, parts))


# -- globals


def raise_exception(message: Any) -> None:
    """What a template calls to refuse a conversation (for instance a system message)."""
    raise ChatTemplateError(f"the chat template refused the conversation: {message}")


def strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    if n > 100 or max > 1000:
        raise BudgetExceeded("asked for too much lorem ipsum and was stopped")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


# -- filters


def tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | str | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """``json.dumps`` with its keywords, as transformers defines it: no HTML escaping, and
    non-ASCII text kept as is unless ``ensure_ascii=True``."""
    indent_width = len(indent) if isinstance(indent, str) else indent or 0
    if not isinstance(indent_width, int) or indent_width > _MAX_JSON_INDENT:
        raise BudgetExceeded(f"asked for a JSON indent of {indent_width!r} and was stopped")
    separator_width = sum(len(str(part)) for part in separators or ())
    check_size(text_size(value) * (1 + indent_width + separator_width))
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a filter: text-building filters refuse a huge input, and every result too big
    to keep stops the render. Jinja's pass_context/pass_environment marks are kept."""
    value_index = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    stringifies = name in _STRINGIFYING_FILTERS

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if stringifies and len(args) > value_index:
            check_size(text_size(args[value_index]))
        return check_result(func(*args, **kwargs))

    return checked


def _center(value: Any, width: int = 80) -> str:
    check_size(text_size(value))
    if isinstance(width, int):
        check_size(width)
    return do_center(value, width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    check_size(text_size(s))
    text = str(s)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    check_size(len(text) + (text.count("\n") + 1) * max(step, 0))
    return do_indent(text, width, first, blank)


def _wordwrap(original: Callable[..., str]) -> Callable[..., str]:
    @pass_environment
    def wordwrap(environment: Any, s: Any, *args: Any, **kwargs: Any) -> str:
        wrapstring = kwargs.get("wrapstring", args[2] if len(args) > 2 else None)
        newline = len(str(wrapstring)) if wrapstring else len(environment.newline_sequence)
        check_size(text_size(s) * (1 + newline))
        return original(environment, s, *args, **kwargs)

    return wordwrap


def _replace(original: Callable[..., str]) -> Callable[..., str]:
    @pass_eval_context
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
        check_size(text_size(s))
        check_replace(str(s), str(old), str(new), -1 if count is None else count)
        return original(eval_ctx, s, old, new, count)

    return replace


def _format(original: Callable[..., str]) -> Callable[..., str]:
    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        check_size(text_size(value))
        check_printf(str(value), kwargs or args)
        return check_result(original(value, *args, **kwargs))

    return format_


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items: list[Any] = list(value)
    if attribute is not None:
        items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
    check_size(sum(text_size(item) for item in items) + len(str(d)) * max(len(items) - 1, 0))
    return sync_do_join(eval_ctx, items, d)


def _bounded_fill(original: Callable[..., Any]) -> Callable[..., Any]:
    """``batch`` pads to the count it is given, ``slice`` makes that many lists."""
    count_index = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        given = args[count_index + 1 : count_index + 2]
        count = given[0] if given else kwargs.get("slices", kwargs.get("linecount"))
        if isinstance(count, int):
            check_size(count, "a list")
        return original(*args, **kwargs)

    return bounded


def _sum(original: Callable[..., Any]) -> Callable[..., Any]:
    """``sum`` of lists (``start=[]``) is concatenated once, not copied item by item."""

    @pass_environment
    def sum_(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        if not isinstance(start, (list, tuple)):
            return original(environment, iterable, attribute, start)
        items: list[Any] = list(iterable)
        if attribute is not None:
            items = list(map(make_attrgetter(environment, attribute), items))
        if not all(isinstance(item, type(start)) for item in items):
            raise TypeError(f"can only concatenate {type(start).__name__} to a list sum")
        check_size(len(start) + sum(len(item) for item in items), "a list")
        return type(start)(itertools.chain(start, *items))

    return sum_
