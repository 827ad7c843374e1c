"""Runs the API server with uvicorn on a thread of its own: start, stop, where it listens.

The socket is bound here, before uvicorn starts, so a port already in use is an error
the caller can show ("port 8642 is in use"), and port 0 picks a free one (tests).
uvicorn is told not to configure logging (Hearth's own log setup stays) and writes no
access log: the server logs no request bodies, and so no prompt text.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import threading
import time
from dataclasses import replace

import uvicorn
import uvicorn.lifespan.off  # uvicorn imports it by name (lifespan="off"): a bundle needs it
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.server.app import build_app
from app.server.backend import Backend
from app.server.config import ServerConfig, ServerConfigError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0
# How long open connections get to finish when the server stops (replies are
# cancelled first, so streams end at once).
GRACEFUL_STOP_S = 3


class ServerRunner:
    """One running server (or none yet). ``start`` and ``stop`` from one thread at a time."""

    def __init__(self, backend: Backend, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = config.port

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The base URL clients use, ``http://host:port/v1``."""
        return replace(self.config, port=self._port).url

    def start(self) -> str:
        """Binds and starts serving; returns the URL. Raises ServerConfigError."""
        if self.running:
            return self.url
        self.config.check()
        listener = _bind(self.config.host, self.config.port)
        self._port = listener.getsockname()[1]
        app = build_app(self.backend, self.config)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                # Named by class, not by name, so a bundle's import scan finds them.
                http=H11Protocol,
                loop="none",  # asyncio's own loop
                lifespan="off",
                ws="none",
                timeout_graceful_shutdown=GRACEFUL_STOP_S,
            )
        )
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [listener]}, name="hearth-api", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerConfigError("The server could not start; the log file says why")
            time.sleep(0.01)
        log.info("API server listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        """Cancels every API reply, then stops serving and frees the port."""
        self.begin_stop()
        self.finish_stop(GRACEFUL_STOP_S + 5)

    def begin_stop(self) -> None:
        """Never blocks: cancels every API reply and tells the server to stop."""
        if self._server is None:
            return
        self.backend.cancel_all()
        self._server.should_exit = True

    def finish_stop(self, timeout_s: float) -> bool:
        """Waits (at most ``timeout_s``) for the server to stop; True once it has."""
        thread = self._thread
        self.begin_stop()
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                return False
            log.info("API server stopped")
        self._server = self._thread = None
        return True

    def wait(self, stop_asked: threading.Event | None = None) -> None:
        """Blocks until the server stops, or ``stop_asked`` is set (the command line's
        foreground; it then calls :meth:`stop`)."""
        thread = self._thread
        while thread is not None and thread.is_alive():
            if stop_asked is not None and stop_asked.is_set():
                return
            thread.join(0.2)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows this option lets another program take the port
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host.strip("[]"), port))
    except OSError as error:
        with contextlib.suppress(OSError):
            listener.close()
        if error.errno in (errno.EADDRINUSE, 10048):  # 10048: Windows' WSAEADDRINUSE
            raise ServerConfigError(
                f"Port {port} on {host} is in use by another program; pick another port"
            ) from None
        raise ServerConfigError(f"Cannot serve on {host}:{port}: {error.strerror}") from None
    listener.set_inheritable(False)
    return listener
