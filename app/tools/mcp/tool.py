"""An MCP server's tool as a Hearth ``Tool``: named ``SERVER__TOOL`` so that two
servers' tools never clash, and always waiting for the user's approval."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mcp_types

from app.tools.base import Tool, ToolResult

if TYPE_CHECKING:
    from app.tools.mcp.manager import McpManager

SEPARATOR = "__"
MAX_NAME = 64
MAX_DESCRIPTION = 2000
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def tool_name(server: str, tool: str) -> str:
    """``server__tool`` in the characters every template accepts, at most 64 long (a
    hash keeps names that had to be shortened apart)."""
    full = (
        f"{_NOT_NAME.sub('_', server).strip('_') or 'server'}{SEPARATOR}{_NOT_NAME.sub('_', tool)}"
    )
    if len(full) <= MAX_NAME:
        return full
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()[:8]
    return f"{full[: MAX_NAME - 9]}_{digest}"


class McpTool(Tool):
    """server: the configured server's name. remote_name: the tool's own name there."""

    needs_approval = True  # a server's tool may do anything: the user always says

    def __init__(self, manager: McpManager, server: str, tool: mcp_types.Tool) -> None:
        self._manager = manager
        self.server = server
        self.remote_name = tool.name
        self.name = tool_name(server, tool.name)
        about = (tool.description or tool.title or tool.name).strip()
        self.description = f"{about[:MAX_DESCRIPTION]} (from the MCP server {server})"
        self.parameters = _object_schema(tool.input_schema)

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        return self._manager.call(self.server, self.remote_name, arguments)


def _object_schema(schema: Any) -> Mapping[str, Any]:
    """The server's input schema, as the object schema a tool's parameters must be."""
    if not isinstance(schema, Mapping):
        return {"type": "object", "properties": {}}
    result = dict(schema)
    result.setdefault("type", "object")
    result.setdefault("properties", {})
    return result
