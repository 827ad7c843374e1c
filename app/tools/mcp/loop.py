"""One asyncio event loop on a background thread, for the MCP SDK's async client.

The rest of Hearth is synchronous: it hands a coroutine to ``run`` and waits for the
result, at most ``timeout`` seconds. Coroutines are expected to bound their own waits;
the timeout here is the backstop that makes sure no caller ever hangs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopClosed(RuntimeError):
    """The loop was closed; nothing more runs on it."""


class BackgroundLoop:
    def __init__(self, name: str = "hearth-mcp") -> None:
        self._loop = asyncio.new_event_loop()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Runs the coroutine on the loop and returns its result; raises TimeoutError
        (after cancelling it) when it takes longer than timeout, or what it raised."""
        if self._closed:
            coroutine.close()
            raise LoopClosed("the MCP client has been shut down")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("BackgroundLoop.run called from its own thread")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        except concurrent.futures.CancelledError:
            raise TimeoutError("the request was cancelled") from None

    def close(self, shutdown: Coroutine[Any, Any, Any] | None = None, timeout: float = 10) -> None:
        """Runs shutdown (if given, at most timeout seconds), then stops the loop."""
        if self._closed:
            if shutdown is not None:
                shutdown.close()
            return
        if shutdown is not None:
            with contextlib.suppress(Exception):  # closing goes on whatever it did
                self.run(shutdown, timeout)
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
