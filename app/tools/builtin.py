"""The tools Hearth brings itself, all offline: the calculator and the clock."""

from __future__ import annotations

from app.tools.base import Tool
from app.tools.calculator import CalculatorTool
from app.tools.clock import ClockTool


def builtin_tools() -> list[Tool]:
    """A fresh instance of each built-in tool."""
    return [CalculatorTool(), ClockTool()]
