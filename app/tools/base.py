"""What a tool is: a name, a description and a JSON schema the model reads, and a run.

Built-in tools, MCP servers' tools and the Python sandbox are all ``Tool`` objects. A
tool's run takes arguments already checked against its schema (``app.tools.arguments``)
and reports failure as a result with ``is_error`` set, which goes back to the model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ToolResult:
    """What a call gave back, as text for the model (and for the user to read).

    images: pictures the call made (the Python tool's saved figures), as local files
    for the chat to show; never fetched from anywhere.
    """

    text: str
    is_error: bool = False
    images: tuple[Path, ...] = ()


class Tool(ABC):
    """A tool the model may call.

    name: what the model calls it by (letters, digits, ``_``, ``-``; at most 64).
    description: what it does, for the model. parameters: a JSON schema of its
    arguments, an object schema. needs_approval: whether a call waits for the user's say;
    only tools that change nothing and read nothing private may set it False.
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    needs_approval: bool = True

    @abstractmethod
    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        """Runs one call with arguments that match ``parameters``."""

    def spec(self) -> dict[str, Any]:
        """The tool as chat templates read it (an entry of their ``tools`` list)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }
