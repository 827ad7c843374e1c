"""The calculator tool: exact arithmetic for the model, by ``app.tools.safe_math``.

Kept our own rather than a library: ``simpleeval`` and ``asteval`` evaluate far more
than arithmetic (attribute access, comprehensions, user functions) and have had
sandbox escapes; what a calculator needs is about two hundred lines we control.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.tools.base import Tool, ToolResult
from app.tools.safe_math import (
    CONSTANTS,
    FUNCTIONS,
    MAX_LENGTH,
    CalculationError,
    evaluate,
    format_number,
)

# What an expression is made of, for the schema: a grammar built from it lets a model
# write only digits, operators, constants and function calls, never other words.
_CALLS = "|".join(sorted(FUNCTIONS, key=len, reverse=True))
_CONSTANTS = "|".join(sorted(CONSTANTS, key=len, reverse=True))
EXPRESSION_PATTERN = f"^([0-9.+*/%^(), <>=!-]|({_CALLS})[(]|{_CONSTANTS})+$"


class CalculatorTool(Tool):
    name = "calculator"
    description = (
        "Calculates an arithmetic expression exactly and returns the number. Use it for"
        " any arithmetic rather than working it out yourself. Supports + - * / // %,"
        " ** or ^ for powers, comparisons, parentheses, pi, e, and functions such as sqrt,"
        " log, ln, exp, sin, cos, tan, round, floor, ceil, factorial, comb, gcd, min, max."
    )
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "expression": {
                "type": "string",
                "description": f"The expression, such as 37*41 or sqrt(2)/2 (at most"
                f" {MAX_LENGTH} characters).",
                "pattern": EXPRESSION_PATTERN,
            }
        },
        "required": ["expression"],
        "additionalProperties": False,
    }
    needs_approval = False  # computes a number: reads and changes nothing

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        try:
            return ToolResult(format_number(evaluate(arguments["expression"])))
        except CalculationError as error:
            return ToolResult(f"Cannot calculate that: {error}.", is_error=True)
