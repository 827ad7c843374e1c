"""A real Hearth API server on 127.0.0.1 (a free port) over the real starter model, for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from app.hearth import Hearth
from app.paths import hearth_paths
from app.server.backend import LocalBackend
from app.server.config import ServerConfig
from app.server.runner import ServerRunner

# Replies here are short: a small context loads fast.
TEST_CONTEXT = 2048


@dataclass
class Served:
    hearth: Hearth
    backend: LocalBackend
    runner: ServerRunner

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, what clients take as their base URL."""
        return self.runner.url

    @property
    def origin(self) -> str:
        return self.base_url.removesuffix("/v1")

    @property
    def port(self) -> int:
        return self.runner.port


@contextlib.contextmanager
def serving(
    home: Path,
    config: ServerConfig | None = None,
    *,
    load: bool = True,
    prepare: Callable[[Hearth], None] | None = None,
) -> Iterator[Served]:
    """Hearth in ``home`` with the starter model loaded, served on a free loopback port.

    ``prepare`` runs before the model loads (to save model settings, say).
    """
    hearth = Hearth.open(hearth_paths({"HEARTH_HOME": str(home)}))
    try:
        if prepare is not None:
            prepare(hearth)
        if load:
            model = hearth.resolve_model("SmolLM2-135M-Instruct")
            request = replace(hearth.load_request(model), n_ctx=TEST_CONTEXT)
            hearth.engine.load(request)
        config = replace(config or ServerConfig(), port=0)
        backend = LocalBackend(hearth, config)
        runner = ServerRunner(backend, config)
        runner.start()
        try:
            yield Served(hearth, backend, runner)
        finally:
            runner.stop()
    finally:
        hearth.close()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Waits for ``condition`` (polling every 2 ms); returns the seconds it took."""
    started = time.monotonic()
    pause = threading.Event()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s")
        pause.wait(0.002)
    return time.monotonic() - started


def raw_request(port: int, request: bytes, *, timeout: float = 30.0) -> tuple[int, bytes]:
    """Sends raw HTTP bytes; returns the status code and the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, response


def http_post(
    path: str, body: bytes, *, host: str = "127.0.0.1", headers: dict[str, str] | None = None
) -> bytes:
    """The bytes of a raw ``POST`` (connection closed after it)."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
