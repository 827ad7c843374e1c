"""The queue in front of the engine: one turn at a time, fair between the window and the
API, a limit for the API, and a cancel that takes a waiting request out at once.

These tests hold turns with real threads; the engine is never asked to generate (it has
no model, so a request that reached it would fail loudly).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.engine.engine import Engine
from app.engine.protocol import SamplingParams
from app.engine.request import Request, RequestState
from app.engine.scheduler import QueueCancelled, QueueFull, Scheduler
from tests.support.api_server import wait_until


@pytest.fixture
def scheduler() -> Iterator[Scheduler]:
    engine = Engine()
    yield Scheduler(engine)
    engine.unload()


class _Holder:
    """Takes a turn on its own thread and keeps it until released."""

    def __init__(self, scheduler: Scheduler, lane: str, order: list[str], name: str) -> None:
        self.ticket = Request("reply")
        self.release = threading.Event()
        self.error: Exception | None = None

        def hold() -> None:
            try:
                with scheduler.turn(lane, self.ticket):
                    order.append(name)
                    self.release.wait(10)
            except Exception as error:
                self.error = error

        self.thread = threading.Thread(target=hold)
        self.thread.start()


def _queue(scheduler: Scheduler, lane: str, order: list[str], name: str) -> _Holder:
    waiting = scheduler.snapshot().waiting
    holder = _Holder(scheduler, lane, order, name)
    wait_until(lambda: scheduler.snapshot().waiting == waiting + 1)
    return holder


def test_lanes_take_turns_and_each_lane_keeps_its_order(scheduler: Scheduler):
    order: list[str] = []
    first = _Holder(scheduler, "server", order, "api 1")
    wait_until(lambda: order == ["api 1"])
    later = [
        _queue(scheduler, "server", order, "api 2"),
        _queue(scheduler, "server", order, "api 3"),
        _queue(scheduler, "window", order, "window"),
    ]
    for holder in (first, *later):
        holder.release.set()
    for holder in (first, *later):
        holder.thread.join(5)
    # The window waited behind one API reply, not behind every API request queued before it.
    assert order == ["api 1", "api 2", "window", "api 3"]
    snapshot = scheduler.snapshot()
    assert snapshot.served == 4 and snapshot.waiting == 0 and snapshot.running is None


def test_a_full_lane_refuses_at_once_and_other_lanes_still_queue(scheduler: Scheduler):
    order: list[str] = []
    first = _Holder(scheduler, "server", order, "api 1")
    wait_until(lambda: order == ["api 1"])
    second = _queue(scheduler, "server", order, "api 2")
    with pytest.raises(QueueFull), scheduler.turn("server", Request("reply"), max_waiting=1):
        pass
    window = _queue(scheduler, "window", order, "window")
    for holder in (first, second, window):
        holder.release.set()
    for holder in (first, second, window):
        holder.thread.join(5)
    assert order == ["api 1", "api 2", "window"]


def test_a_cancel_takes_a_waiting_request_out_within_200_ms(scheduler: Scheduler):
    order: list[str] = []
    first = _Holder(scheduler, "server", order, "api 1")
    wait_until(lambda: order == ["api 1"])
    cancelled = _queue(scheduler, "server", order, "gone")
    after = _queue(scheduler, "server", order, "api 3")
    cancelled.ticket.cancel()
    took = wait_until(lambda: not cancelled.thread.is_alive())
    assert took < 0.2
    assert isinstance(cancelled.error, QueueCancelled)
    assert cancelled.ticket.state is RequestState.DONE
    first.release.set()
    after.release.set()
    for holder in (first, after):
        holder.thread.join(5)
    assert order == ["api 1", "api 3"]
    assert scheduler.snapshot().cancelled_waiting == 1


def test_a_reply_cancelled_while_waiting_never_reaches_the_engine(scheduler: Scheduler):
    order: list[str] = []
    first = _Holder(scheduler, "server", order, "api 1")
    wait_until(lambda: order == ["api 1"])
    ticket = Request("reply")
    texts: list[str] = []
    result: list[object] = []
    window = threading.Thread(
        target=lambda: result.append(
            scheduler.generate(
                [{"role": "user", "content": "Hi"}],
                SamplingParams(),
                texts.append,
                lane="window",
                ticket=ticket,
            )
        )
    )
    window.start()
    wait_until(lambda: scheduler.snapshot().waiting == 1)
    ticket.cancel()
    window.join(5)
    stats = result[0]
    assert getattr(stats, "finish_reason", None) == "cancelled" and texts == []
    first.release.set()
    first.thread.join(5)


def test_turns_hand_out_ids_in_the_order_they_run(scheduler: Scheduler):
    """The host cancels by "every id up to N": a request that waited must not carry an id
    older than one that ran before it."""
    order: list[str] = []
    first = _Holder(scheduler, "server", order, "api")
    wait_until(lambda: order == ["api"])
    late_api = _queue(scheduler, "server", order, "api 2")
    window = _queue(scheduler, "window", order, "window")
    older_id = late_api.ticket.id
    assert older_id < window.ticket.id
    first.release.set()
    wait_until(lambda: len(order) == 2)
    late_api.release.set()
    wait_until(lambda: len(order) == 3)
    assert order == ["api", "api 2", "window"]
    window.release.set()
    for holder in (first, late_api, window):
        holder.thread.join(5)
    assert late_api.ticket.id > first.ticket.id and window.ticket.id > late_api.ticket.id


def test_one_scheduler_per_engine():
    engine = Engine()
    assert Scheduler.of(engine) is Scheduler.of(engine)
    assert Scheduler.of(Engine()) is not Scheduler.of(engine)
