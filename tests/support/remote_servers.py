"""Servers Hearth did not write, on 127.0.0.1, for the remote engine's tests.

- :func:`llama_cpp_server`: llama-cpp-python's own OpenAI-compatible server
  (``python -m llama_cpp.server``) over the starter model, in a process of its own.
- :func:`stalling_server`: a tiny HTTP server that lists one model, begins a streamed
  reply (or not) and then says nothing until the test ends: a server that is too slow.
  It also counts the requests it gets, so a test can show nothing contacted it.
- :func:`scripted_server`: streams replies given in the API's own chunk format, for a
  reply no test model gives on cue (a tool call the server parsed).
- :class:`MemoryKeyring`, :func:`memory_keyring`: a keychain in memory (from
  ``tests.support.memory_keyring``, named here too for the remote tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.api_server import wait_until
from tests.support.memory_keyring import MemoryKeyring, memory_keyring

LLAMA_SERVER_START_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    return free_port()


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def kill(self) -> None:
        """Ends the server at once (SIGKILL), as a crash or a pulled cable would."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def llama_cpp_server(
    model: Path, log_dir: Path, *, api_key: str | None = None, n_ctx: int = 1024
) -> Iterator[LlamaServer]:
    """``python -m llama_cpp.server --model MODEL --port PORT --host 127.0.0.1``."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--n_ctx",
        str(n_ctx),
    ]
    if api_key:
        command += ["--api_key", api_key]
    log = log_dir / f"llama-server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = LlamaServer(process, port, log)
    try:
        try:
            wait_until(
                lambda: process.poll() is not None or _listening(port),
                timeout=LLAMA_SERVER_START_S,
            )
        except AssertionError:
            raise AssertionError(f"llama_cpp.server did not start: {log.read_text()}") from None
        assert process.poll() is None, f"llama_cpp.server ended: {log.read_text()}"
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()


@dataclass
class Stalling:
    port: int
    model: str
    requests: list[str] = field(default_factory=list)  # "GET /v1/models", ...

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextlib.contextmanager
def stalling_server(first_words: str | None = "Hello") -> Iterator[Stalling]:
    """Lists ``stall-model``; a chat request gets ``first_words`` as a streamed chunk
    (nothing at all if None) and then silence until the test ends."""
    release = threading.Event()
    stalling = Stalling(0, "stall-model")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            stalling.requests.append(f"GET {self.path}")
            body = json.dumps({"object": "list", "data": [{"id": stalling.model}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            stalling.requests.append(f"POST {self.path}")
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if first_words is not None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = {"choices": [{"index": 0, "delta": {"content": first_words}}]}
                data = f"data: {json.dumps(chunk)}\n\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            release.wait(120)  # the slowness: nothing more comes
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stalling.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stalling
    finally:
        release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Scripted:
    port: int
    bodies: list[dict[str, object]] = field(default_factory=list)  # the requests' JSON

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextlib.contextmanager
def scripted_server(model: str, replies: list[list[dict[str, object]]]) -> Iterator[Scripted]:
    """Lists ``model``; the n-th chat request gets the n-th list of chunks as its stream
    (then ``[DONE]``). For what no test model does on cue: a tool call in the API's form."""
    scripted = Scripted(0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"object": "list", "data": [{"id": model}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            scripted.bodies.append(request)
            chunks = replies[len(scripted.bodies) - 1]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scripted.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        server.shutdown()
        server.server_close()


__all__ = [
    "LlamaServer",
    "MemoryKeyring",
    "Stalling",
    "closed_port",
    "free_port",
    "llama_cpp_server",
    "memory_keyring",
    "scripted_server",
    "stalling_server",
]
