"""One API reply: run on a thread of its own through the backend, seen as async events.

The engine's calls block, so each reply runs on its own daemon thread (waiting for its
turn in the scheduler's queue there) and hands what happens to the event loop:
:class:`Began` once the prompt is ready, then :class:`Text` pieces and :class:`Call`s
(the tool calls the model made), then :class:`Ended` with the figures, or
:class:`Failed` with the error to answer. :meth:`ReplyRun.cancel`, from the event loop
when the client goes away, cancels the reply whether it is still queued or already
streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from app.engine.errors import EngineError
from app.engine.protocol import GenerationStats
from app.engine.request import Request
from app.engine.tool_calls import ToolCall
from app.server.backend import Backend, Target, Turn
from app.server.errors import ApiError, from_engine_error
from app.server.jobs import ChatJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Began:
    turn: Turn


@dataclass(frozen=True)
class Text:
    kind: Literal["answer", "thinking"]
    text: str


@dataclass(frozen=True)
class Call:
    call: ToolCall


@dataclass(frozen=True)
class Ended:
    stats: GenerationStats


@dataclass(frozen=True)
class Failed:
    error: ApiError


Event = Began | Text | Call | Ended | Failed


class ReplyRun:
    """A reply in flight for one request."""

    def __init__(self, backend: Backend, job: ChatJob, target: Target) -> None:
        self.job = job
        self.target = target
        self.ticket = Request("reply")
        self._backend = backend
        self._loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._thread = threading.Thread(target=self._run, name="hearth-api-reply", daemon=True)

    def start(self) -> ReplyRun:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ends the reply (queued or streaming); what was sent stays sent. Any thread."""
        self.ticket.cancel()

    async def next(self) -> Event:
        return await self._events.get()

    async def rest(self) -> AsyncIterator[Event]:
        """The events after the first, up to and including the last (Ended or Failed)."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, (Ended, Failed)):
                return

    def _post(self, event: Event) -> None:
        # The loop is gone only when the server stopped; nobody is listening then.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)

    def _run(self) -> None:
        try:
            stats = self._backend.run(
                self.job,
                self.target,
                self.ticket,
                on_began=lambda turn: self._post(Began(turn)),
                on_text=lambda text: self._post(Text("answer", text)),
                on_thinking=lambda text: self._post(Text("thinking", text)),
                on_tool_call=lambda call: self._post(Call(call)),
            )
        except Exception as error:
            if not isinstance(error, (ApiError, EngineError)):  # a bug: keep its traceback
                log.exception("an API reply failed")
            self._post(Failed(from_engine_error(error)))
            return
        self._post(Ended(stats))
