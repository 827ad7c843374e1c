"""The queue in front of the engine: one reply at a time, taken in turn from every caller.

The engine runs one reply at a time (one model, one host process). The window's chat
and the API server both ask for replies, so they wait here for their turn. Each caller
names its *lane* ("window", "server", ...): within a lane requests run in the order they
came; between lanes turns go round in order, so sixteen API clients never hold the
window's message back by more than the one reply already running.

A request is cancelled through its own :class:`~app.engine.request.Request` ticket, from
any thread, whether it is still waiting (it leaves the queue at once and never reaches
the engine) or already running (the engine stops it). A lane given a limit refuses new
requests with :class:`QueueFull` while that many are waiting; the server answers 503.

There is one scheduler per engine (:meth:`Scheduler.of`): two queues in front of one
engine would let two replies run at once.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from app.engine.engine import Engine
from app.engine.errors import EngineError
from app.engine.process import OnPrompt, OnText, OnToolCall
from app.engine.protocol import GenerationStats, SamplingParams
from app.engine.request import Request, RequestState

# How often a waiting request looks at its ticket: bounds how long a cancel takes to
# take it out of the queue.
POLL_SECONDS = 0.02
# Queue waits remembered for the figures (the most recent ones).
KEPT_WAITS = 4096


class QueueFull(EngineError):
    """Too many requests are waiting for the model; try again shortly."""


class QueueCancelled(EngineError):
    """The request was cancelled before its turn came; nothing ran."""


@dataclass(frozen=True)
class QueueSnapshot:
    """The queue at one moment, for a status line or a benchmark."""

    waiting: int  # requests waiting for their turn
    waiting_by_lane: dict[str, int]
    running: str | None  # the lane of the request holding the turn, if any
    served: int  # turns given since the start
    cancelled_waiting: int  # requests that left the queue before their turn
    waits_ms: tuple[float, ...]  # recent queue waits, oldest first

    def wait_percentile(self, percent: float) -> float:
        """The queue wait ``percent`` of recent requests stayed within, in ms (0 if none)."""
        if not self.waits_ms:
            return 0.0
        ordered = sorted(self.waits_ms)
        return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class _Waiter:
    def __init__(self, lane: str, ticket: Request, enqueued_at: float) -> None:
        self.lane = lane
        self.ticket = ticket
        self.enqueued_at = enqueued_at
        self.granted = threading.Event()


class Scheduler:
    """Gives the engine to one request at a time, fairly between lanes. Thread-safe."""

    _shared: ClassVar[weakref.WeakKeyDictionary[Engine, Scheduler]] = weakref.WeakKeyDictionary()
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._lanes: dict[str, deque[_Waiter]] = {}
        self._rotation: deque[str] = deque()  # lanes with someone waiting, next first
        self._running: _Waiter | None = None
        self._served = 0
        self._cancelled_waiting = 0
        self._waits_ms: deque[float] = deque(maxlen=KEPT_WAITS)

    @classmethod
    def of(cls, engine: Engine) -> Scheduler:
        """The one scheduler in front of ``engine`` (made on first use)."""
        with cls._shared_lock:
            scheduler = cls._shared.get(engine)
            if scheduler is None:
                scheduler = cls._shared[engine] = cls(engine)
            return scheduler

    # The turn --------------------------------------------------------------------------

    @contextlib.contextmanager
    def turn(
        self, lane: str, ticket: Request, *, max_waiting: int | None = None
    ) -> Iterator[float]:
        """Holds the engine for the ``with`` block; yields how long the wait was, in seconds.

        Raises :class:`QueueFull` at once if ``max_waiting`` requests already wait in
        ``lane``, and :class:`QueueCancelled` if ``ticket`` is cancelled before the turn.
        """
        waiter = self._enqueue(lane, ticket, max_waiting)
        self._wait_for_turn(waiter)
        waited = self._clock() - waiter.enqueued_at
        try:
            yield waited
        finally:
            self._release(waiter)

    def generate(
        self,
        messages: list[dict[str, Any]],
        sampling: SamplingParams,
        on_text: OnText,
        *,
        lane: str = "window",
        ticket: Request | None = None,
        max_waiting: int | None = None,
        on_turn: Callable[[float], None] | None = None,
        on_prompt: OnPrompt | None = None,
        on_reload: Callable[[], None] | None = None,
        on_thinking: OnText | None = None,
        on_tool_call: OnToolCall | None = None,
        stop: tuple[str, ...] = (),
        ignore_eos: bool = False,
        options: dict[str, Any] | None = None,
        grammar: str | None = None,
    ) -> GenerationStats:
        """:meth:`Engine.generate` once this request's turn has come.

        ``on_turn`` is called with the queue wait in seconds when the turn begins, before
        the engine sees the request (the server loads a requested model there). A request
        cancelled while it waits returns at once with ``finish_reason == "cancelled"``.
        """
        ticket = ticket or Request("reply")
        try:
            with self.turn(lane, ticket, max_waiting=max_waiting) as waited:
                if ticket.cancelled:  # its turn and its cancel came together
                    ticket.advance(RequestState.DONE)
                    return cancelled_before_start()
                if on_turn is not None:
                    on_turn(waited)
                return self.engine.generate(
                    messages,
                    sampling,
                    on_text,
                    on_prompt=on_prompt,
                    on_reload=on_reload,
                    on_thinking=on_thinking,
                    on_tool_call=on_tool_call,
                    stop=stop,
                    ignore_eos=ignore_eos,
                    options=options,
                    grammar=grammar,
                    ticket=ticket,
                )
        except QueueCancelled:
            return cancelled_before_start()

    def snapshot(self) -> QueueSnapshot:
        with self._lock:
            return QueueSnapshot(
                waiting=sum(len(lane) for lane in self._lanes.values()),
                waiting_by_lane={name: len(lane) for name, lane in self._lanes.items() if lane},
                running=self._running.lane if self._running else None,
                served=self._served,
                cancelled_waiting=self._cancelled_waiting,
                waits_ms=tuple(self._waits_ms),
            )

    # Inside ----------------------------------------------------------------------------

    def _enqueue(self, lane: str, ticket: Request, max_waiting: int | None) -> _Waiter:
        with self._lock:
            waiting = self._lanes.setdefault(lane, deque())
            if max_waiting is not None and len(waiting) >= max_waiting:
                raise QueueFull(
                    f"{len(waiting)} requests are already waiting for the model; try again shortly"
                )
            waiter = _Waiter(lane, ticket, self._clock())
            waiting.append(waiter)
            if lane not in self._rotation:
                self._rotation.append(lane)
            self._grant_next()
            return waiter

    def _wait_for_turn(self, waiter: _Waiter) -> None:
        try:
            while not waiter.granted.wait(POLL_SECONDS):
                if waiter.ticket.cancelled and self._leave(waiter):
                    waiter.ticket.advance(RequestState.DONE)
                    raise QueueCancelled("Cancelled while waiting for the model")
        except QueueCancelled:
            raise
        except BaseException:  # Ctrl+C in the command line, say: never keep a dead place
            if not self._leave(waiter):
                self._release(waiter)
            raise
        # The host takes every id up to the last cancelled one as cancelled, so replies
        # must reach it in the order of their ids: one that waited takes a new id now.
        waiter.ticket.id = Request(waiter.ticket.kind).id

    def _leave(self, waiter: _Waiter) -> bool:
        """Takes a cancelled request out of the queue; False if its turn just came."""
        with self._lock:
            if waiter.granted.is_set():
                return False
            lane = self._lanes[waiter.lane]
            lane.remove(waiter)
            if not lane and waiter.lane in self._rotation:
                self._rotation.remove(waiter.lane)
            self._cancelled_waiting += 1
            return True

    def _release(self, waiter: _Waiter) -> None:
        with self._lock:
            if self._running is waiter:
                self._running = None
            self._grant_next()

    def _grant_next(self) -> None:
        """Gives the turn to the next lane in rotation (call with the lock held)."""
        if self._running is not None or not self._rotation:
            return
        lane_name = self._rotation.popleft()
        lane = self._lanes[lane_name]
        waiter = lane.popleft()
        if lane:
            self._rotation.append(lane_name)  # its next request waits for the others
        self._running = waiter
        self._served += 1
        self._waits_ms.append((self._clock() - waiter.enqueued_at) * 1000)
        waiter.granted.set()


def cancelled_before_start() -> GenerationStats:
    """The figures of a reply cancelled before the engine began it."""
    return GenerationStats(
        prompt_tokens=0,
        prompt_eval_tokens=0,
        completion_tokens=0,
        dropped_messages=0,
        ttft_ms=0.0,
        tokens_per_s=0.0,
        prompt_tokens_per_s=0.0,
        total_ms=0.0,
        finish_reason="cancelled",
    )


__all__ = ["QueueCancelled", "QueueFull", "QueueSnapshot", "Scheduler"]
