"""The MCP servers the user configured: ``mcp.json`` in Hearth's config folder.

The format is the one Claude Desktop, Cursor, LM Studio and others use, so a config
from another app pastes in::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "some-server"], "env": {"KEY": "v"}},
        "remote": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "..."}}
    }}

Also read: VS Code's ``"servers"`` key, ``"type"`` (``stdio``, ``http``,
``streamable-http``), ``serverUrl``/``httpUrl`` for the URL, ``cwd``, and
``"disabled": true``. Writing keeps whatever else the file holds (other keys, other
servers' entries as they were).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.paths import HearthPaths

CONFIG_FILE_NAME = "mcp.json"
SERVERS_KEY = "mcpServers"
_OTHER_SERVER_KEYS = ("servers",)  # VS Code's mcp.json
_URL_KEYS = ("url", "serverUrl", "httpUrl")
_HTTP_TYPES = ("http", "streamable-http", "streamable_http", "streamableHttp")

Transport = Literal["stdio", "http"]


class McpConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True, eq=True)
class McpServerConfig:
    """One server: a command to run (stdio) or a URL (Streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    disabled: bool = False

    @property
    def transport(self) -> Transport:
        return "http" if self.url else "stdio"

    @property
    def target(self) -> str:
        """The command line or the URL, for a list."""
        if self.url:
            return self.url
        return " ".join([self.command or "", *self.args]).strip()

    def entry(self) -> dict[str, Any]:
        """The server as an ``mcpServers`` entry."""
        entry: dict[str, Any]
        if self.url:
            entry = {"url": self.url}
            if self.headers:
                entry["headers"] = dict(self.headers)
        else:
            entry = {"command": self.command, "args": list(self.args)}
            if self.env:
                entry["env"] = dict(self.env)
            if self.cwd:
                entry["cwd"] = self.cwd
        if self.disabled:
            entry["disabled"] = True
        return entry


def config_path(paths: HearthPaths) -> Path:
    return paths.config / CONFIG_FILE_NAME


def parse_server(name: str, entry: Any) -> McpServerConfig:
    """One entry of ``mcpServers``, in any of the formats above."""
    if not isinstance(name, str) or not name.strip():
        raise McpConfigError("a server needs a name")
    if not isinstance(entry, Mapping):
        raise McpConfigError(f"the server {name!r} must be an object with a command or a url")
    kind = str(entry.get("type") or entry.get("transport") or "").strip()
    url = next((entry[key] for key in _URL_KEYS if entry.get(key)), None)
    command = entry.get("command")
    if kind == "sse" or (kind and kind not in ("stdio", *_HTTP_TYPES)):
        raise McpConfigError(
            f"the server {name!r} uses the {kind!r} transport; Hearth speaks stdio and"
            " Streamable HTTP"
        )
    if url and not command:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise McpConfigError(f"the server {name!r} has a url that is not http(s): {url!r}")
        return McpServerConfig(
            name=name,
            url=url,
            headers=_strings(entry.get("headers"), f"{name}: headers"),
            disabled=bool(entry.get("disabled", False)),
        )
    if not isinstance(command, str) or not command.strip():
        raise McpConfigError(f"the server {name!r} has neither a command nor a url")
    args = entry.get("args") or []
    if not isinstance(args, list):
        raise McpConfigError(f"the server {name!r} has args that are not a list")
    cwd = entry.get("cwd")
    return McpServerConfig(
        name=name,
        command=command,
        args=tuple(str(arg) for arg in args),
        env=_strings(entry.get("env"), f"{name}: env"),
        cwd=str(cwd) if cwd else None,
        disabled=bool(entry.get("disabled", False)),
    )


def _strings(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise McpConfigError(f"{what} must be an object of names and values")
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def servers_in(document: Any) -> dict[str, Any]:
    """The raw server entries of a parsed config (``mcpServers`` or ``servers``)."""
    if not isinstance(document, Mapping):
        raise McpConfigError('the MCP configuration must be a JSON object with "mcpServers"')
    for key in (SERVERS_KEY, *_OTHER_SERVER_KEYS):
        if key in document:
            servers = document[key]
            if not isinstance(servers, Mapping):
                raise McpConfigError(f'"{key}" must be an object of named servers')
            return dict(servers)
    raise McpConfigError('the MCP configuration has no "mcpServers" object')


def parse_config(text: str, *, source: str = "the MCP configuration") -> list[McpServerConfig]:
    """The servers of a config's text, such as one pasted from another app."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise McpConfigError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    return [parse_server(name, entry) for name, entry in servers_in(document).items()]


def load_servers(path: Path) -> list[McpServerConfig]:
    """The configured servers; none when the file does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise McpConfigError(f"cannot read {path}: {error.strerror or error}") from error
    if not text.strip():
        return []
    return parse_config(text, source=str(path))


def _document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise McpConfigError(
            f"{path} is not valid JSON (line {error.lineno}): fix it first"
        ) from error
    if not isinstance(document, dict):
        raise McpConfigError(f"{path} is not a JSON object: fix it first")
    return document


def _write(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".mcp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, ensure_ascii=False)
            stream.write("\n")
        os.chmod(temporary, 0o600)  # env and headers may hold keys
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_server(path: Path, server: McpServerConfig, *, replace: bool = False) -> None:
    """Adds the server (or, with replace, puts it in place of one of the same name)."""
    parse_server(server.name, server.entry())  # what we write must read back
    document = _document(path)
    key = next((k for k in (SERVERS_KEY, *_OTHER_SERVER_KEYS) if k in document), SERVERS_KEY)
    servers = document.setdefault(key, {})
    if not isinstance(servers, dict):
        raise McpConfigError(f'"{key}" in {path} is not an object: fix it first')
    if server.name in servers and not replace:
        raise McpConfigError(f"there is already a server named {server.name!r}")
    servers[server.name] = server.entry()
    _write(path, document)


def remove_server(path: Path, name: str) -> bool:
    """Removes the named server; False when there was none."""
    document = _document(path)
    for key in (SERVERS_KEY, *_OTHER_SERVER_KEYS):
        servers = document.get(key)
        if isinstance(servers, dict) and name in servers:
            del servers[name]
            _write(path, document)
            return True
    return False
