"""One MCP server's session, kept open on the background loop.

The SDK's ``Client`` is an async context manager whose task groups belong to the task
that entered it, so each server gets an owner task that enters it, signals ready, and
waits to be told to stop; calls are made from other tasks on the same loop. A stdio
server's standard error goes to a log file, whose last lines explain a failure.

Everything here runs on the loop thread; ``app.tools.mcp.manager`` is the way in.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

import httpx2
import mcp_types
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from app import __version__
from app.tools.mcp.config import McpServerConfig

MAX_TOOL_PAGES = 50
_STOP_SECONDS = 8.0  # the SDK's own shutdown waits at most about 6 s
_LOG_TAIL_CHARACTERS = 300
_LOG_TAIL_LINES = 2


class McpServerError(Exception):
    """A server could not be started or reached, or it stopped; the message is for
    the user (and the model)."""


def _leaf(error: BaseException) -> BaseException:
    """The first error inside the exception groups that task groups raise."""
    while True:
        inner = getattr(error, "exceptions", None)
        if not (isinstance(inner, (list, tuple)) and inner):
            return error
        error = inner[0]


def describe(error: BaseException) -> str:
    """One line for an error, for the user and the model."""
    error = _leaf(error)
    if isinstance(error, MCPError):
        return error.message or f"error {error.code}"
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{error.filename} was not found"
    if isinstance(error, httpx2.ConnectError):
        return f"cannot connect ({error})"
    if isinstance(error, httpx2.HTTPStatusError):
        return f"the server answered HTTP {error.response.status_code}"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def is_connection_lost(error: BaseException) -> bool:
    error = _leaf(error)
    if isinstance(error, MCPError):
        return error.code == mcp_types.CONNECTION_CLOSED
    return isinstance(error, (ConnectionError, EOFError, httpx2.TransportError))


class ServerConnection:
    """config: the server. log_file: where a stdio server's standard error goes."""

    def __init__(self, config: McpServerConfig, *, log_file: Path | None = None) -> None:
        self.config = config
        self.tools: list[mcp_types.Tool] | None = None
        self.failure = ""  # why the session ended, once it has
        self._log_file = log_file
        self._client: Client | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def alive(self) -> bool:
        return self._client is not None and self._task is not None and not self._task.done()

    async def start(self, timeout: float) -> None:
        """Starts the server and completes the MCP handshake, within timeout seconds."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._own(ready), name=f"mcp-server:{self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), timeout)
        except asyncio.TimeoutError:
            await self.stop()
            raise McpServerError(
                f"the MCP server {self.name!r} did not answer within {timeout:g} s of"
                f" starting{self._log_tail()}"
            ) from None
        except Exception as error:
            await self.stop()
            raise McpServerError(
                f"the MCP server {self.name!r} could not start: {describe(error)}{self._log_tail()}"
            ) from error

    async def _own(self, ready: asyncio.Future[None]) -> None:
        log: TextIO | None = None
        try:
            if self.config.transport == "stdio" and self._log_file is not None:
                self._log_file.parent.mkdir(parents=True, exist_ok=True)
                log = self._log_file.open("w", encoding="utf-8", errors="replace")
            async with Client(
                self._transport(log), client_info=_CLIENT_INFO, raise_exceptions=False
            ) as client:
                self._client = client
                ready.set_result(None)
                assert self._stop is not None
                await self._stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except BaseException as error:  # the session ended badly: kept for the message
            if not ready.done():
                ready.set_exception(error if isinstance(error, Exception) else RuntimeError())
            self.failure = describe(error)
        finally:
            self._client = None
            if log is not None:
                log.close()

    def _transport(self, log: TextIO | None) -> Any:
        config = self.config
        if config.transport == "http":
            assert config.url is not None
            return _http_transport(config.url, dict(config.headers))
        assert config.command is not None
        parameters = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env=dict(config.env) or None,
            cwd=config.cwd,
        )
        return stdio_client(parameters, errlog=log or sys.stderr)

    def _require(self) -> Client:
        if self._client is None or not self.alive:
            raise McpServerError(f"the MCP server {self.name!r} is not running")
        return self._client

    async def list_tools(self, timeout: float) -> list[mcp_types.Tool]:
        client = self._require()
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _ in range(MAX_TOOL_PAGES):
            page = await asyncio.wait_for(client.list_tools(cursor=cursor), timeout)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools = tools
        return tools

    async def call_tool(
        self, name: str, arguments: dict[str, Any], timeout: float
    ) -> mcp_types.CallToolResult:
        client = self._require()
        return await asyncio.wait_for(client.call_tool(name, arguments), timeout)

    async def stop(self) -> None:
        """Ends the session and the server process; bounded, never raises."""
        if self._stop is not None:
            self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        done: set[asyncio.Task[None]] = set()
        if self._client is not None:  # in session: let it close in order
            done, _ = await asyncio.wait({task}, timeout=_STOP_SECONDS)
        if not done:  # still starting (or stuck): cancelling unwinds the start
            task.cancel()
            await asyncio.wait({task}, timeout=_STOP_SECONDS)

    def _log_tail(self) -> str:
        """The end of the server's standard error, as `` (it said: ...)``."""
        if self._log_file is None or self.config.transport != "stdio":
            return ""
        try:
            text = self._log_file.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        if not lines:
            return ""
        tail = " / ".join(lines[-_LOG_TAIL_LINES:])[-_LOG_TAIL_CHARACTERS:]
        return f" (its last words: {tail})"

    def failure_message(self, error: BaseException | None = None) -> str:
        reason = describe(error) if error is not None else self.failure or "it stopped"
        return f"the MCP server {self.name!r} stopped: {reason}{self._log_tail()}"


_CLIENT_INFO = mcp_types.Implementation(name="Hearth", version=__version__)


@contextlib.asynccontextmanager
async def _http_transport(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    """Streamable HTTP, with the configured headers (an API key, say)."""
    # The SDK's own defaults: 30 s to connect and write, 300 s between bytes of a stream
    # (calls have their own, shorter, timeouts).
    timeout = httpx2.Timeout(30.0, read=300.0)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams
