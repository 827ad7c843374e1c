"""One request's life, owned in one place: a load or a reply, from queued to done.

The engine hands out a :class:`Request` for each load and each reply. Stop, a client
that goes away, a crash and a hang all end a request through it: :meth:`Request.cancel`
may be called from any thread at any moment, also before the work has begun (while a
crashed model reloads, or before a load's host process exists), and the work checks
:attr:`Request.cancelled` wherever it waits.
"""

from __future__ import annotations

import threading
import time
from enum import Enum
from typing import Literal

RequestKind = Literal["load", "reply"]


class RequestState(Enum):
    QUEUED = "queued"
    LOADING = "loading"  # a load, or the reload a reply needs first
    PROMPT = "prompt"  # the prompt is being evaluated
    GENERATING = "generating"
    CANCELLING = "cancelling"  # Stop was asked; waiting for the host to confirm
    DONE = "done"
    FAILED = "failed"


_FINAL = frozenset({RequestState.DONE, RequestState.FAILED})


class Request:
    """A load or a reply in flight. Thread-safe."""

    _ids = 0
    _ids_lock = threading.Lock()

    def __init__(self, kind: RequestKind) -> None:
        with Request._ids_lock:
            Request._ids += 1
            self.id = Request._ids
        self.kind = kind
        self._state = RequestState.QUEUED
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self.cancelled_at: float | None = None

    @property
    def state(self) -> RequestState:
        return self._state

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def finished(self) -> bool:
        return self._state in _FINAL

    def cancel(self) -> None:
        """Asks the request to end; it ends as soon as the work next looks. Any thread."""
        with self._lock:
            if self._state in _FINAL or self._cancel.is_set():
                return
            self.cancelled_at = time.monotonic()
            self._cancel.set()
            if self._state in (RequestState.PROMPT, RequestState.GENERATING):
                self._state = RequestState.CANCELLING

    def advance(self, state: RequestState) -> None:
        """Moves on to ``state``; a cancelled request stays "cancelling" until it ends."""
        with self._lock:
            if self._state in _FINAL:
                return
            if self._cancel.is_set() and state not in _FINAL:
                state = RequestState.CANCELLING
            self._state = state

    def __repr__(self) -> str:
        return f"Request({self.kind} #{self.id}, {self._state.value})"
