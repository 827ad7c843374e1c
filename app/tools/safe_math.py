"""Evaluates an arithmetic expression without ``eval``: the expression is parsed with
``ast`` and only numbers, arithmetic, comparisons, and a fixed list of math functions
and constants are computed, by this module's own code.

Nothing in the expression can reach a name, an attribute, a subscript or any other
Python object: a node of any kind not listed here is refused. Sizes are bounded so that
no expression can take long or use much memory: its length, its nesting, whole numbers
of at most MAX_INT_BITS bits (checked before a power is computed), and the arguments of
factorial-like functions.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

MAX_LENGTH = 500
MAX_DEPTH = 60
MAX_INT_BITS = 10_000  # about 3,000 digits
MAX_FACTORIAL = 1_000
MAX_ROUND_DIGITS = 100

Number = int | float | bool


class CalculationError(ValueError):
    """Why the expression cannot be calculated, in words for the model and the user."""


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _bounded(limit: int, function: Callable[..., Number]) -> Callable[..., Number]:
    """The function, for whole numbers up to limit only (its work grows fast with them)."""
    name = function.__name__

    def checked(*args: Number) -> Number:
        if not all(isinstance(arg, int) for arg in args):
            raise CalculationError(f"{name} takes whole numbers")
        if any(abs(arg) > limit for arg in args):
            raise CalculationError(f"{name} is limited to numbers up to {limit}")
        return function(*args)

    return checked


def _round(value: Number, digits: int = 0) -> Number:
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise CalculationError(f"round takes a whole number of digits up to {MAX_ROUND_DIGITS}")
    return round(value, digits) if digits else round(value)


FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "ln": math.log,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "degrees": math.degrees,
    "radians": math.radians,
    "hypot": math.hypot,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "gcd": math.gcd,
    "lcm": math.lcm,
    "factorial": _bounded(MAX_FACTORIAL, math.factorial),
    "comb": _bounded(MAX_FACTORIAL, math.comb),
    "perm": _bounded(MAX_FACTORIAL, math.perm),
}

# Ways of writing arithmetic that people (and models) use, in Python's spelling.
_SPELLINGS = {"^": "**", "×": "*", "÷": "/", "−": "-"}  # the last is the minus sign

ALLOWED = (
    "numbers; + - * / // % and ** (or ^); comparisons; parentheses; the constants "
    + ", ".join(CONSTANTS)
    + "; and the functions "
    + ", ".join(FUNCTIONS)
)


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression such as ``37*41`` or ``sqrt(2)/2``."""
    if not isinstance(expression, str):
        raise CalculationError("the expression must be text")
    text = expression.strip()
    if not text:
        raise CalculationError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise CalculationError(f"the expression is longer than {MAX_LENGTH} characters")
    for written, python in _SPELLINGS.items():
        text = text.replace(written, python)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise CalculationError(
            f"{expression.strip()!r} is not an arithmetic expression; allowed are {ALLOWED}"
        ) from None
    return _Evaluator().value(tree.body, 0)


def format_number(value: Number) -> str:
    """The value as a person writes it: ``1517``, ``0.3``, ``1.4142135623731``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"  # also for -0.0
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


class _Evaluator:
    """Computes an expression tree, node by node, refusing any node it does not know."""

    def value(self, node: ast.AST, depth: int) -> Number:
        if depth > MAX_DEPTH:
            raise CalculationError("the expression is nested too deeply")
        depth += 1
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise CalculationError(f"unknown name {node.id!r}; allowed are {ALLOWED}")
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _checked(_UNARY[type(node.op)](self.value(node.operand, depth)))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left = self.value(node.left, depth)
            right = self.value(node.right, depth)
            return self._binary(node.op, left, right)
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            return self._compare(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise CalculationError(f"that is not arithmetic; allowed are {ALLOWED}")

    @staticmethod
    def _constant(value: object) -> Number:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CalculationError(f"{value!r} is not a number")
        return _checked(value)

    @staticmethod
    def _binary(op: ast.operator, left: Number, right: Number) -> Number:
        if isinstance(op, ast.Pow):
            _refuse_huge_power(left, right)
        try:
            return _checked(_BINARY[type(op)](left, right))
        except ZeroDivisionError:
            raise CalculationError("division by zero") from None
        except OverflowError:
            raise CalculationError("the result is too large") from None

    def _compare(self, node: ast.Compare, depth: int) -> bool:
        left = self.value(node.left, depth)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.value(right_node, depth)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _call(self, node: ast.Call, depth: int) -> Number:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise CalculationError(f"that is not a known function; allowed are {ALLOWED}")
        name = node.func.id
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise CalculationError(f"{name} takes plain values, such as {name}(2)")
        args = [self.value(arg, depth) for arg in node.args]
        try:
            return _checked(FUNCTIONS[name](*args))
        except CalculationError:
            raise
        except TypeError:
            raise CalculationError(f"{name} cannot take those values") from None
        except ZeroDivisionError:
            raise CalculationError("division by zero") from None
        except OverflowError:
            raise CalculationError("the result is too large") from None
        except ValueError:
            raise CalculationError(f"{name} is not defined for that value") from None


def _refuse_huge_power(base: Number, exponent: Number) -> None:
    """Refuses a whole-number power whose result would have more than MAX_INT_BITS bits,
    before it is computed."""
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return
    if exponent > 0 and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
        raise CalculationError("the result is too large")


def _checked(value: Any) -> Number:
    """The value, if it is a real number of a size the calculator allows."""
    if isinstance(value, complex):
        raise CalculationError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalculationError("the result is too large")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("the result is too large (or not a number)")
    if not isinstance(value, (int, float)):
        raise CalculationError("the result is not a number")
    return value
