"""A real MCP server for the tests, written with the official SDK (``MCPServer``, which
was FastMCP before mcp 2), run as a program of its own.

``python mcp_test_server.py stdio``: over standard input and output.
``python mcp_test_server.py http``: Streamable HTTP on 127.0.0.1, on a free port it
prints first as ``PORT <n>``.
``python mcp_test_server.py garbage``: not a server at all; it writes lines that are not
JSON-RPC and never answers.
``python mcp_test_server.py fail-at-start``: says why on standard error and exits 2.

Its tools: ``add``, ``shout``, ``whoami`` (the server's name and the ``GREETING``
environment variable), ``dot`` (a one-pixel PNG), ``crash`` (the process dies mid-call),
``hang`` (never answers) and ``refuse`` (a tool error).
"""

from __future__ import annotations

import base64
import os
import socket
import sys
import time

import anyio
import uvicorn
from mcp.server.mcpserver import Image, MCPServer

ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

server = MCPServer("test-server")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two whole numbers."""
    return a + b


@server.tool()
def shout(text: str) -> str:
    """Returns the text in capitals."""
    return text.upper()


@server.tool()
def whoami() -> str:
    """Says which process answers, and the GREETING it was given."""
    return f"pid {os.getpid()}, greeting {os.environ.get('GREETING', '(none)')}"


@server.tool()
def dot() -> Image:
    """Returns a one-pixel image."""
    return Image(data=ONE_PIXEL_PNG, format="png")


@server.tool()
def crash() -> str:
    """Kills the server process in the middle of the call."""
    sys.stderr.write("about to crash on purpose\n")
    sys.stderr.flush()
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answers."""
    await anyio.sleep(3600)
    return "too late"


@server.tool()
def refuse(reason: str) -> str:
    """Fails with the reason given."""
    raise ValueError(reason)


def serve_http() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # before the port is told: a client may connect at once
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


def garbage() -> None:
    print("this is not JSON-RPC", flush=True)
    print('{"jsonrpc": "1.0", "nonsense": true}', flush=True)
    while sys.stdin.readline():
        print("still not JSON-RPC", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if mode == "http":
        serve_http()
    elif mode == "garbage":
        garbage()
    elif mode == "fail-at-start":
        sys.stderr.write("cannot start: the database file is missing\n")
        sys.exit(2)
    else:
        server.run()
