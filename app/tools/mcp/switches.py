"""Switching an MCP server, or one of its tools, on and off in ``mcp.json``.

A server switched off keeps its entry with ``"disabled": true`` (the key other apps
use). A tool switched off is listed, by the server's own name for it, in the entry's
``"disabledTools"``; a reply never offers it to the model. Each change rewrites only
that one key of that one entry: everything else in the file stays as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.tools.mcp.config import (
    _OTHER_SERVER_KEYS,
    SERVERS_KEY,
    McpConfigError,
    _document,
    _write,
)

DISABLED_TOOLS_KEY = "disabledTools"


def _entry(document: dict[str, Any], server: str) -> dict[str, Any] | None:
    for key in (SERVERS_KEY, *_OTHER_SERVER_KEYS):
        servers = document.get(key)
        if isinstance(servers, dict) and isinstance(servers.get(server), dict):
            entry: dict[str, Any] = servers[server]
            return entry
    return None


def disabled_tools(path: Path, server: str) -> frozenset[str]:
    """The server's tools switched off, by the server's own names (none for a file that
    cannot be read: the reply then says what is wrong with it)."""
    try:
        entry = _entry(_document(path), server)
    except (McpConfigError, OSError):
        return frozenset()
    names = entry.get(DISABLED_TOOLS_KEY) if entry else None
    if not isinstance(names, list):
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str))


def set_tool_enabled(path: Path, server: str, tool: str, enabled: bool) -> None:
    """Switches one of the server's tools (its own name for it) on or off."""
    document = _document(path)
    entry = _existing(document, server, path)
    names = [name for name in entry.get(DISABLED_TOOLS_KEY) or [] if isinstance(name, str)]
    if enabled:
        names = [name for name in names if name != tool]
    elif tool not in names:
        names.append(tool)
    if names:
        entry[DISABLED_TOOLS_KEY] = names
    else:
        entry.pop(DISABLED_TOOLS_KEY, None)
    _write(path, document)


def set_server_enabled(path: Path, server: str, enabled: bool) -> None:
    """Switches the whole server on or off (off: it is never started)."""
    document = _document(path)
    entry = _existing(document, server, path)
    if enabled:
        entry.pop("disabled", None)
    else:
        entry["disabled"] = True
    _write(path, document)


def _existing(document: dict[str, Any], server: str, path: Path) -> dict[str, Any]:
    entry = _entry(document, server)
    if entry is None:
        raise McpConfigError(f"there is no MCP server named {server!r} in {path}")
    return entry
