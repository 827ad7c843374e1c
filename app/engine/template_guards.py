"""Size checks for the operations a chat template could use to build a huge value at once.

A deadline cannot stop one C-level operation such as ``'x' * 10**10`` or
``'{:>9999999999}'.format(1)``: it would allocate gigabytes before the clock is read again.
So the template environment asks these functions first, and they raise
:class:`~app.engine.template_budget.BudgetExceeded` when the result would be too big for
the running render's budget.

:func:`text_size` estimates how long ``str(value)`` would be without building it, counting
each shared reference as often as it would be printed (``[big] * 100000`` is as big as it
prints), visiting each distinct container once.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, ItemsView, KeysView, Mapping, ValuesView
from typing import Any

from jinja2.runtime import Undefined
from jinja2.utils import Namespace

from app.engine.template_budget import (
    MAX_INT_BITS,
    MAX_WIDTH,
    BudgetExceeded,
    RenderBudget,
    active,
    check_size,
)

_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_DIGITS = re.compile(r"\d+")
_SEQUENCES = (str, bytes, list, tuple)
_CHECK_TIME_EVERY = 4096


def text_size(value: Any, budget: RenderBudget | None = None) -> int:
    """About ``len(str(value))``; raises BudgetExceeded as soon as it is over the limit of
    ``budget`` (by default the running render's)."""
    if isinstance(value, str):
        return len(value)
    return _Estimate(budget or active()).size(value, top=True)


class _Estimate:
    def __init__(self, budget: RenderBudget) -> None:
        self.budget = budget
        self.seen: dict[int, int] = {}
        self.steps = 0

    def size(self, value: Any, *, top: bool = False) -> int:
        if isinstance(value, str):
            return len(value) if top else len(value) + 2
        if isinstance(value, (bytes, bytearray)):
            return 3 + 4 * len(value)
        if isinstance(value, bool) or value is None:
            return 5
        if isinstance(value, int):
            return value.bit_length() // 3 + 2
        if isinstance(value, float):
            return 24
        if isinstance(value, Undefined):
            return 0
        if isinstance(value, Namespace):
            return 13 + self.size(object.__getattribute__(value, "_Namespace__attrs"))
        if isinstance(value, (Mapping, *_CONTAINERS)):
            return self._container(value)
        return 80

    def _container(self, value: Any) -> int:
        key = id(value)
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = 5  # a container inside itself prints as [...]
        total = 12
        pairs = value.items() if isinstance(value, Mapping) else None
        for item in pairs if pairs is not None else value:
            self.steps += 1
            if self.steps % _CHECK_TIME_EVERY == 0:
                self.budget.check_time()
            if pairs is not None:
                total += self.size(item[0]) + self.size(item[1]) + 4
            else:
                total += self.size(item) + 2
            if total > self.budget.value_limit:
                self.budget.check_size(total)
        self.seen[key] = total
        return total


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Before ``left <operator> right`` in a template: refuse results too big to build."""
    if operator == "*":
        _check_repeat(left, right)
        _check_repeat(right, left)
        if _is_int(left) and _is_int(right):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            check_size(len(left) + len(right))
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            _check_bits(abs(left).bit_length() * right)
    elif operator == "%" and isinstance(left, (str, bytes)):
        check_printf(left, right)


def _check_repeat(sequence: Any, count: Any) -> None:
    if not (isinstance(sequence, _SEQUENCES) and _is_int(count)) or count <= 0:
        return
    unit = len(sequence) if isinstance(sequence, (str, bytes)) else text_size(sequence)
    check_size(unit * count)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise BudgetExceeded(
            f"tried to compute a number of about {bits * 3 // 10} digits and was stopped"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_width(digits: str | None) -> None:
    if digits and digits != "*" and (len(digits) > 6 or int(digits) > MAX_WIDTH):
        raise BudgetExceeded(f"asked for a field {digits[:12]} characters wide and was stopped")


def _values(args: Any) -> tuple[Any, ...]:
    if isinstance(args, tuple):
        return args
    if isinstance(args, Mapping):
        return tuple(args.values())
    return (args,)


def check_printf(fmt: str | bytes, args: Any) -> None:
    """Before ``fmt % args`` (the ``%`` operator, the ``format`` filter)."""
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    fields = 0
    star = False
    for spec in _PRINTF_SPEC.finditer(text):
        fields += 1
        for digits in spec.group(1, 2):
            star = star or digits == "*"
            _check_width(digits)
    _check_field_values(len(text), fields, _values(args), dynamic_width=star)


def check_str_format(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Before ``fmt.format(*args, **kwargs)``."""
    fields = 0
    nested = False
    for _literal, field, spec, _conversion in string.Formatter().parse(fmt):
        if field is None:
            continue
        fields += 1
        if spec:
            nested = nested or "{" in spec
            for digits in _DIGITS.findall(spec):
                _check_width(digits)
    _check_field_values(len(fmt), fields, (*args, *kwargs.values()), dynamic_width=nested)


def _check_field_values(
    literal: int, fields: int, values: tuple[Any, ...], *, dynamic_width: bool
) -> None:
    if dynamic_width:
        for value in values:
            if _is_int(value):
                _check_width(str(abs(value)) if abs(value) < 10**12 else "9" * 13)
    largest = max((text_size(value) for value in values), default=0)
    check_size(literal + fields * largest)


def check_method_call(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Before a template calls a method of a string: refuse calls that would build too much.

    Returns the positional arguments to call with (an iterable given to ``join`` is read
    into a list first, so that it can be measured).
    """
    target = getattr(func, "__wrapped__", func)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return args
    name = getattr(target, "__name__", "")
    if name in ("ljust", "rjust", "center", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if _is_int(width):
            check_size(width)
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if _is_int(tabsize):
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            check_size(len(owner) + tabs * max(tabsize, 0))
    elif name == "replace" and len(args) >= 2:
        check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "join" and args:
        parts = list(args[0])
        joined = sum(len(part) for part in parts if isinstance(part, (str, bytes)))
        check_size(joined + len(owner) * max(len(parts) - 1, 0))
        return (parts, *args[1:])
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((text_size(value) for value in args[0].values()), default=1)
        check_size(len(owner) * max(longest, 1))
    elif name == "format" and isinstance(owner, str):
        check_str_format(owner, args, kwargs)
    elif name == "format_map" and isinstance(owner, str) and args:
        check_str_format(owner, (), args[0] if isinstance(args[0], Mapping) else {})
    return args


def check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    """Before ``text.replace(old, new, count)``."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    if len(new) <= len(old):
        return
    times = text.count(old) if old else len(text) + 1
    if _is_int(count) and count >= 0:
        times = min(times, count)
    check_size(len(text) + times * (len(new) - len(old)))


def check_result(value: Any) -> Any:
    """After a call: a value too big to keep stops the render; returns the value."""
    if isinstance(value, (str, bytes, list, tuple, dict)):
        check_size(len(value))
    return value
