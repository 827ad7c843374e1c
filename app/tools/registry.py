"""The tools a chat can offer, by name, and the one place a model's call is run.

``run`` never raises: a botched call, an unknown tool, arguments that do not fit the
schema, or a tool that fails all come back as an error result the model can read and
act on. Approval is not decided here: the chat layer asks the user (per
``Tool.needs_approval`` and its policy) before it calls ``run``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from app.engine.tool_calls import ToolCall
from app.tools.arguments import argument_problem
from app.tools.base import Tool, ToolResult

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ToolRegistry:
    """Tools by name, in the order they were added."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Adds a tool; its name must be new and one every template and model accepts."""
        if not _NAME.fullmatch(tool.name):
            raise ValueError(f"{tool.name!r} is not a tool name (letters, digits, _ and -)")
        if tool.name in self._tools:
            raise ValueError(f"there is already a tool named {tool.name!r}")
        self._tools[tool.name] = tool

    def remove(self, name: str) -> None:
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self, names: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The tools (those named, if given) as chat templates read them."""
        return [tool.spec() for tool in self if names is None or tool.name in names]

    def run(self, call: ToolCall) -> ToolResult:
        """Runs the call; whatever goes wrong is an error result for the model."""
        if call.error:
            return ToolResult(call.error, is_error=True)
        tool = self._tools.get(call.name)
        if tool is None:
            offered = ", ".join(self._tools) or "none"
            return ToolResult(
                f"There is no tool named {call.name!r}. The tools are: {offered}.", is_error=True
            )
        arguments = call.arguments or {}
        problem = argument_problem(tool.parameters, arguments)
        if problem:
            return ToolResult(f"{problem} (calling {tool.name})", is_error=True)
        try:
            return tool.run(arguments)
        except Exception as error:  # a tool's bug must not end the chat
            log.exception("tool %s failed", tool.name)
            return ToolResult(f"The tool {tool.name} failed: {error}", is_error=True)
