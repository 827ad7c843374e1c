"""The synchronous face of the MCP client: one ``McpManager`` per Hearth.

It owns the background event loop (``app.tools.mcp.loop``) and one
``ServerConnection`` per started server. Servers start on demand, the first time their
tools are listed or called, and are restarted on the next use after they stop or after
their configuration changes. Every wait is bounded: starting, listing and calling each
have a timeout, so a server that dies, hangs or talks nonsense gives a message, never a
frozen caller.

``tools`` raises ``McpServerError`` with a message for the user; ``call`` never raises:
whatever goes wrong comes back as an error ``ToolResult`` for the model.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mcp_types

from app.paths import HearthPaths
from app.tools.base import ToolResult
from app.tools.mcp.config import McpConfigError, McpServerConfig, config_path, load_servers
from app.tools.mcp.connection import (
    McpServerError,
    ServerConnection,
    describe,
    is_connection_lost,
)
from app.tools.mcp.loop import BackgroundLoop, LoopClosed
from app.tools.mcp.tool import McpTool

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0
LIST_TIMEOUT = 30.0
CALL_TIMEOUT = 120.0
_BACKSTOP = 15.0  # beyond a coroutine's own timeout: the most a caller waits on top
MAX_RESULT_CHARACTERS = 100_000
_IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


class McpManager:
    """config_file: the ``mcp.json`` to read servers from (re-read at each use).
    logs: the folder for servers' standard error (one file each). media: where images a
    tool returns are written, to be shown as local files. The timeouts are in seconds."""

    @classmethod
    def for_paths(cls, paths: HearthPaths, **timeouts: float) -> McpManager:
        """The manager for Hearth's folders: ``mcp.json`` in the config folder, servers'
        logs in the logs folder, tool images in the cache."""
        return cls(
            config_path(paths), logs=paths.logs, media=paths.cache / "mcp-images", **timeouts
        )

    def __init__(
        self,
        config_file: Path,
        *,
        logs: Path | None = None,
        media: Path | None = None,
        start_timeout: float = START_TIMEOUT,
        list_timeout: float = LIST_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
    ) -> None:
        self.config_file = config_file
        self._logs = logs
        self._media = media
        self.start_timeout = start_timeout
        self.list_timeout = list_timeout
        self.call_timeout = call_timeout
        self._loop: BackgroundLoop | None = None  # started on first use
        self._loop_lock = threading.Lock()
        self._closed = False
        # Touched on the loop only:
        self._connections: dict[str, ServerConnection] = {}
        self._starting: dict[str, asyncio.Lock] = {}

    # The configuration

    def servers(self) -> list[McpServerConfig]:
        """The configured servers (raises ``McpConfigError`` for a broken file)."""
        return load_servers(self.config_file)

    def server(self, name: str) -> McpServerConfig:
        for server in self.servers():
            if server.name == name:
                return server
        raise McpServerError(f"there is no MCP server named {name!r} in {self.config_file}")

    # Using servers

    def tools(self, name: str) -> list[McpTool]:
        """The server's tools, starting it if needed; raises ``McpServerError``."""
        config = self._config(name)
        timeout = self.start_timeout + self.list_timeout
        listed = self._run(self._list(config), timeout + _BACKSTOP, name)
        return [McpTool(self, name, tool) for tool in listed]

    def all_tools(self) -> tuple[list[McpTool], dict[str, str]]:
        """The tools of every enabled server, and for each server that failed, why."""
        tools: list[McpTool] = []
        problems: dict[str, str] = {}
        try:
            servers = self.servers()
        except McpConfigError as error:
            return [], {"": str(error)}
        for server in servers:
            if server.disabled:
                continue
            try:
                tools.extend(self.tools(server.name))
            except McpServerError as error:
                problems[server.name] = str(error)
        return tools, problems

    def call(
        self,
        server: str,
        tool: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
    ) -> ToolResult:
        """Calls a server's tool; every failure is an error result, within the timeouts."""
        limit = self.call_timeout if timeout is None else timeout
        try:
            config = self._config(server)
            result = self._run(
                self._call(config, tool, dict(arguments), limit),
                self.start_timeout + limit + _BACKSTOP,
                server,
            )
        except McpServerError as error:
            return ToolResult(_sentence(str(error)), is_error=True)
        return self._result(server, tool, result)

    def running(self) -> list[str]:
        """The servers started and still up."""
        loop = self._loop
        if loop is None:
            return []
        try:
            return loop.run(self._running(), _BACKSTOP)
        except (TimeoutError, LoopClosed):
            return []

    def stop(self, name: str) -> None:
        """Stops the server if it runs (it starts again on next use)."""
        with contextlib.suppress(TimeoutError, LoopClosed):
            if self._loop is not None:
                self._loop.run(self._stop_one(name), 2 * _BACKSTOP)

    def close(self) -> None:
        """Stops every server and the loop; the manager cannot be used after."""
        with self._loop_lock:
            self._closed = True
            loop = self._loop
        if loop is not None:
            loop.close(self._stop_all(), timeout=2 * _BACKSTOP)

    # Inside: coroutines run on the loop

    def _background(self) -> BackgroundLoop:
        with self._loop_lock:
            if self._closed:
                raise LoopClosed("the MCP client has been shut down")
            if self._loop is None:
                self._loop = BackgroundLoop()
            return self._loop

    def _config(self, name: str) -> McpServerConfig:
        try:
            return self.server(name)
        except McpConfigError as error:
            raise McpServerError(str(error)) from error

    def _run(self, coroutine: Any, timeout: float, server: str) -> Any:
        try:
            loop = self._background()
        except LoopClosed as error:
            coroutine.close()
            raise McpServerError(str(error)) from None
        try:
            return loop.run(coroutine, timeout)
        except TimeoutError:
            raise McpServerError(
                f"the MCP server {server!r} did not answer within {timeout:g} s"
            ) from None
        except LoopClosed as error:
            raise McpServerError(str(error)) from None

    async def _connection(self, config: McpServerConfig) -> ServerConnection:
        """The server's running connection, started (or restarted) as needed; one start
        at a time per server, so two callers never start it twice."""
        lock = self._starting.setdefault(config.name, asyncio.Lock())
        async with lock:
            return await self._connect(config)

    async def _connect(self, config: McpServerConfig) -> ServerConnection:
        connection = self._connections.get(config.name)
        if connection is not None and (not connection.alive or connection.config != config):
            await connection.stop()
            connection = None
        if connection is None:
            if config.disabled:
                raise McpServerError(f"the MCP server {config.name!r} is switched off")
            connection = ServerConnection(config, log_file=self._log_file(config.name))
            await connection.start(self.start_timeout)
            self._connections[config.name] = connection
        return connection

    async def _list(self, config: McpServerConfig) -> list[mcp_types.Tool]:
        connection = await self._connection(config)
        if connection.tools is not None:
            return connection.tools
        try:
            return await connection.list_tools(self.list_timeout)
        except Exception as error:
            raise await self._failed(connection, error, "listing its tools") from error

    async def _call(
        self, config: McpServerConfig, tool: str, arguments: dict[str, Any], timeout: float
    ) -> mcp_types.CallToolResult:
        connection = await self._connection(config)
        try:
            return await connection.call_tool(tool, arguments, timeout)
        except Exception as error:
            raise await self._failed(connection, error, f"calling {tool}", timeout) from error

    async def _failed(
        self,
        connection: ServerConnection,
        error: Exception,
        doing: str,
        timeout: float | None = None,
    ) -> McpServerError:
        """The error to report; a server that stopped is let go (restarted next use)."""
        if isinstance(error, McpServerError):
            return error
        if isinstance(error, TimeoutError):
            limit = timeout if timeout is not None else self.list_timeout
            return McpServerError(
                f"the MCP server {connection.name!r} did not answer within {limit:g} s ({doing})"
            )
        if is_connection_lost(error) or not connection.alive:
            message = connection.failure_message(error)
            await connection.stop()
            self._connections.pop(connection.name, None)
            return McpServerError(f"{message} (while {doing}); it starts again on next use")
        return McpServerError(
            f"the MCP server {connection.name!r} failed while {doing}: {describe(error)}"
        )

    async def _running(self) -> list[str]:
        return [name for name, connection in self._connections.items() if connection.alive]

    async def _stop_one(self, name: str) -> None:
        connection = self._connections.pop(name, None)
        if connection is not None:
            await connection.stop()

    async def _stop_all(self) -> None:
        for name in list(self._connections):
            await self._stop_one(name)

    def _log_file(self, name: str) -> Path | None:
        if self._logs is None:
            return None
        return self._logs / f"mcp-{_safe_file_name(name)}.log"

    # Results

    def _result(self, server: str, tool: str, result: Any) -> ToolResult:
        if not isinstance(result, mcp_types.CallToolResult):
            return ToolResult(
                f"The MCP server {server!r} gave an answer that is not a tool result.",
                is_error=True,
            )
        parts: list[str] = []
        images: list[Path] = []
        for block in result.content:
            parts.append(self._block_text(block, images))
        if not parts and result.structured_content is not None:
            parts.append(str(result.structured_content))
        text = "\n".join(part for part in parts if part) or "(the tool returned nothing)"
        if len(text) > MAX_RESULT_CHARACTERS:
            text = text[:MAX_RESULT_CHARACTERS] + "\n[the rest of the result was cut]"
        return ToolResult(text, is_error=bool(result.is_error), images=tuple(images))

    def _block_text(self, block: Any, images: list[Path]) -> str:
        if isinstance(block, mcp_types.TextContent):
            return block.text
        if isinstance(block, mcp_types.ImageContent):
            saved = self._save_image(block)
            if saved is not None:
                images.append(saved)
                return f"[image: {saved.name}, shown to the user]"
            return f"[an image ({block.mime_type}) that cannot be shown]"
        if isinstance(block, mcp_types.AudioContent):
            return f"[audio ({block.mime_type}), not shown]"
        if isinstance(block, mcp_types.EmbeddedResource):
            resource = block.resource
            if isinstance(resource, mcp_types.TextResourceContents):
                return f"[resource {resource.uri}]\n{resource.text}"
            return f"[binary resource {resource.uri}, not shown]"
        if isinstance(block, mcp_types.ResourceLink):
            return f"[link to resource {block.uri}: {block.name}]"
        return f"[{getattr(block, 'type', 'unknown')} content, not shown]"

    def _save_image(self, block: mcp_types.ImageContent) -> Path | None:
        suffix = _IMAGE_TYPES.get(block.mime_type)
        if self._media is None or suffix is None:
            return None
        try:
            data = base64.b64decode(block.data, validate=True)
        except (binascii.Error, ValueError):
            return None
        self._media.mkdir(parents=True, exist_ok=True)
        path = self._media / f"mcp-{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
        if not path.exists():
            path.write_bytes(data)
        return path


def _safe_file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "server"


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
