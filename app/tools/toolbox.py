"""Which tools a chat can switch on, by name, and the registry a reply offers.

Names: ``calculator``, ``clock`` and ``python`` (Hearth's own), an MCP server's name
(all its tools), or one server tool's full name (``SERVER__TOOL``). Tools added with
:meth:`ToolBox.add` (an app's or a test's own) are names too.

The Python tool gets one scratch folder per conversation, so files persist between its
calls in a chat. Where this OS's confinement cannot be had, the tool is left out and the
reason is given, never run unconfined. MCP servers start on demand when a reply offers
their tools, which can take seconds: build registries on a worker thread. A server's
tools the user switched off (``app.tools.mcp.switches``) are never offered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.tools.base import Tool
from app.tools.builtin import builtin_tools
from app.tools.mcp.config import McpConfigError, load_servers
from app.tools.python_sandbox import PythonTool
from app.tools.registry import ToolRegistry
from app.tools.sandbox.base import Confinement
from app.tools.sandbox.limits import SandboxLimits
from app.tools.sandbox.pick import confinement_for_this_os

if TYPE_CHECKING:  # the SDK takes a while to import: only when a server is used
    from app.tools.mcp.manager import McpManager

log = logging.getLogger(__name__)

PYTHON = "python"
# Between a server's name and its tool's in a server tool's full name (app.tools.mcp.tool).
SEPARATOR = "__"


@dataclass
class ToolSet:
    """The tools one reply offers, and why any that were asked for are missing."""

    registry: ToolRegistry
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return len(self.registry) > 0


def parse_names(text: str | None) -> tuple[str, ...] | None:
    """``"calculator, python"`` → ``("calculator", "python")``; None stays None."""
    if text is None:
        return None
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


class ToolBox:
    """mcp: the MCP client, or a function that makes it on first use (None: no servers).
    python_scratch: the folder under which each conversation's Python scratch folder is
    made. confinement, python_limits: the Python tool's (this OS's confinement and the
    default limits unless given)."""

    def __init__(
        self,
        mcp: McpManager | Callable[[], McpManager] | None = None,
        *,
        python_scratch: Path | None = None,
        confinement: Confinement | None = None,
        python_limits: SandboxLimits | None = None,
    ) -> None:
        self._mcp = mcp
        self._python_scratch = python_scratch
        self._confinement = confinement
        self._python_limits = python_limits
        self._builtin = {tool.name: tool for tool in builtin_tools()}
        self._extra: dict[str, Tool] = {}

    def add(self, tool: Tool) -> None:
        """A tool of the caller's own, switched on by its name like any other."""
        self._extra[tool.name] = tool

    def own_names(self) -> list[str]:
        """Hearth's own tools and those added."""
        return [*self._builtin, PYTHON, *self._extra]

    @property
    def mcp(self) -> McpManager | None:
        if self._mcp is None or not callable(self._mcp):
            return self._mcp
        self._mcp = self._mcp()
        return self._mcp

    def server_names(self) -> list[str]:
        """The configured MCP servers that are switched on (none is started)."""
        mcp = self.mcp
        if mcp is None:
            return []
        try:
            return [server.name for server in load_servers(mcp.config_file) if not server.disabled]
        except McpConfigError:
            return []

    def unknown(self, names: Iterable[str]) -> list[str]:
        """The names that are no tool and no MCP server (nothing is started)."""
        own = set(self.own_names())
        servers = set(self.server_names())
        return [
            name
            for name in names
            if name not in own
            and name not in servers
            and name.partition(SEPARATOR)[0] not in servers
        ]

    def python_tool(self, conversation_id: int | None) -> PythonTool:
        """The Python tool for one conversation, with that chat's scratch folder."""
        if self._confinement is None:
            self._confinement = confinement_for_this_os()
        scratch = None
        if self._python_scratch is not None:
            folder = f"chat-{conversation_id}" if conversation_id is not None else "no-chat"
            scratch = self._python_scratch / folder
        return PythonTool(scratch, limits=self._python_limits, confinement=self._confinement)

    def tool_set(self, names: Sequence[str], conversation_id: int | None = None) -> ToolSet:
        """The registry for ``names``; a name that cannot be had is a problem, not an error."""
        registry = ToolRegistry()
        problems: list[str] = []
        for name in dict.fromkeys(names):
            for tool in self._tools_named(name, conversation_id, problems):
                if tool.name not in registry:
                    registry.add(tool)
        return ToolSet(registry, problems)

    def _tools_named(
        self, name: str, conversation_id: int | None, problems: list[str]
    ) -> list[Tool]:
        if name in self._extra:
            return [self._extra[name]]
        if name in self._builtin:
            return [self._builtin[name]]
        if name == PYTHON:
            tool = self.python_tool(conversation_id)
            ready, reason = tool.available()
            if not ready:
                problems.append(f"The Python tool is off: {reason}.")
                return []
            return [tool]
        return self._mcp_tools(name, problems)

    def _mcp_tools(self, name: str, problems: list[str]) -> list[Tool]:
        from app.tools.mcp.connection import McpServerError
        from app.tools.mcp.switches import disabled_tools

        servers = self.server_names()
        server = name if name in servers else name.partition(SEPARATOR)[0]
        mcp = self.mcp
        if mcp is None or server not in servers:
            problems.append(f"There is no tool or MCP server named {name!r}.")
            return []
        try:
            tools: list[Tool] = list(mcp.tools(server))
        except McpServerError as error:
            problems.append(f"The MCP server {server!r} cannot be used: {error}.")
            return []
        switched_off = disabled_tools(mcp.config_file, server)  # the user's per-tool switches
        tools = [tool for tool in tools if getattr(tool, "remote_name", None) not in switched_off]
        if name == server:
            return tools
        chosen = [tool for tool in tools if tool.name == name]
        if not chosen:
            problems.append(f"The MCP server {server!r} has no tool named {name!r}.")
        return chosen
