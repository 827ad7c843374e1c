"""Answers one job: picks its model, runs the reply, and answers whole or as a stream.

The answer starts only once the prompt is ready, so anything that goes wrong before
(a full queue, a model that cannot load, a prompt too long, a grammar that does not
parse) is a plain HTTP error with its status. From then on a stream carries the reply;
an error after that point ends it with an error event. A client that disconnects,
while waiting or while its reply streams, cancels the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from sse_starlette import ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.engine.protocol import GenerationStats
from app.engine.tool_calls import ToolCall
from app.server.backend import Backend, Turn
from app.server.errors import ApiError
from app.server.jobs import ChatJob
from app.server.reply import Began, Call, Ended, Event, Failed, ReplyRun, Text
from app.server.sse import sse_response

log = logging.getLogger(__name__)

QUEUE_WAIT_HEADER = "X-Hearth-Queue-Wait-Ms"


@dataclass
class Collected:
    """A whole reply, gathered for a non-streaming answer."""

    turn: Turn
    answer: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    stats: GenerationStats | None = None


class ReplyFormat(Protocol):
    """How one API writes a reply."""

    def whole(self, reply: Collected) -> dict[str, object]: ...

    def stream(
        self, turn: Turn, events: AsyncIterator[Event]
    ) -> AsyncIterator[ServerSentEvent]: ...


async def serve(
    request: Request, backend: Backend, job: ChatJob, reply_format: ReplyFormat
) -> Response:
    target = await anyio.to_thread.run_sync(backend.target, job.model)
    run = ReplyRun(backend, job, target).start()
    watcher = asyncio.ensure_future(_cancel_when_gone(request, run))
    streaming = False
    try:
        first = await run.next()
        if isinstance(first, Failed):
            raise first.error
        if not isinstance(first, Began):  # ended before its prompt: cancelled
            raise ApiError(503, "The request was cancelled before it began", code="cancelled")
        headers = {QUEUE_WAIT_HEADER: str(round(first.turn.waited_s * 1000))}
        if job.stream:
            watcher.cancel()  # the event stream watches for the client from here
            streaming = True
            return sse_response(reply_format.stream(first.turn, run.rest()), run.cancel, headers)
        reply = await _collect(first.turn, run)
        return JSONResponse(reply_format.whole(reply), headers=headers)
    finally:
        watcher.cancel()
        if not streaming:
            run.cancel()  # no-op once done; ends the reply if this handler was cut short


async def _collect(turn: Turn, run: ReplyRun) -> Collected:
    reply = Collected(turn)
    async for event in run.rest():
        if isinstance(event, Text):
            (reply.answer if event.kind == "answer" else reply.thinking).append(event.text)
        elif isinstance(event, Call):
            reply.calls.append(event.call)
        elif isinstance(event, Ended):
            reply.stats = event.stats
        elif isinstance(event, Failed):
            raise event.error
    return reply


async def _cancel_when_gone(request: Request, run: ReplyRun) -> None:
    """Cancels the reply when the client disconnects (the body has been read by now)."""
    with contextlib.suppress(Exception):
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                run.cancel()
                return
