"""The one background runner: jobs off the GUI thread, every callback back on it.

Jobs here are real functions and generators that wait on events the test sets, so the
order of what happens is decided by the test, never by timing.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from ui.background import BackgroundRunner, error_text

WAIT_S = 10


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[BackgroundRunner]:
    label = QLabel()  # a widget as the runner's parent, as in the window
    qtbot.addWidget(label)
    made = BackgroundRunner(label)
    yield made
    made.abort_all()
    assert made.wait(WAIT_S)


def test_a_generator_job_yields_in_order_then_returns_then_finishes(qtbot, runner):
    label = runner.parent()
    assert isinstance(label, QLabel)
    job_threads: list[threading.Thread] = []
    events: list[tuple[str, object, bool]] = []

    def count() -> Iterator[int]:
        job_threads.append(threading.current_thread())
        yield from range(5)
        return "counted"  # type: ignore[return-value]

    def shown(number: object) -> None:
        label.setText(str(number))  # a widget, touched from the callback
        events.append(("yield", number, on_gui_thread()))

    runner.run(
        count,
        on_started=lambda: events.append(("started", None, on_gui_thread())),
        on_yield=shown,
        on_done=lambda result: events.append(("done", result, on_gui_thread())),
        on_finished=lambda: events.append(("finished", None, on_gui_thread())),
    )
    qtbot.waitUntil(lambda: bool(events) and events[-1][0] == "finished")

    assert job_threads and job_threads[0] is not threading.main_thread()
    assert [(kind, value) for kind, value, _ in events] == [
        ("started", None),
        *(("yield", number) for number in range(5)),
        ("done", "counted"),
        ("finished", None),
    ]
    assert all(gui for _, _, gui in events), "every callback runs on the GUI thread"
    assert label.text() == "4"


def test_a_plain_function_returns_its_result(qtbot, runner):
    results: list[object] = []
    runner.run(lambda: 6 * 7, on_done=results.append)
    qtbot.waitUntil(lambda: results == [42])


def test_an_error_reaches_on_error_on_the_gui_thread_and_done_never_comes(qtbot, runner):
    errors: list[tuple[Exception, bool]] = []
    done: list[object] = []
    finished: list[bool] = []

    def fail() -> None:
        raise OSError("the disk is full")

    runner.run(
        fail,
        on_done=done.append,
        on_error=lambda error: errors.append((error, on_gui_thread())),
        on_finished=lambda: finished.append(True),
    )
    qtbot.waitUntil(lambda: finished == [True])

    assert done == []
    ((error, gui),) = errors
    assert isinstance(error, OSError) and gui
    assert error_text(error) == "the disk is full"
    assert error_text(ValueError()) == "ValueError"


def test_abort_stops_a_generator_before_its_next_item(qtbot, runner):
    first_shown = threading.Event()
    go_on = threading.Event()
    produced: list[int] = []
    closed = threading.Event()
    shown: list[object] = []
    done: list[object] = []
    finished: list[bool] = []

    def slow_count() -> Iterator[int]:
        try:
            for number in range(100):
                produced.append(number)
                yield number
                go_on.wait(WAIT_S)
        finally:
            closed.set()

    def show(item: object) -> None:
        shown.append(item)
        first_shown.set()

    worker = runner.run(
        slow_count, on_yield=show, on_done=done.append, on_finished=lambda: finished.append(True)
    )
    qtbot.waitUntil(first_shown.is_set)
    worker.abort()
    go_on.set()
    qtbot.waitUntil(lambda: finished == [True])

    assert worker.aborted and worker.ended
    assert closed.is_set(), "the generator is closed, so its clean-up runs"
    assert shown == [0]
    # The item being made when the abort came may be finished, but is never shown, and
    # nothing after it is made.
    assert produced in ([0], [0, 1])
    assert done == []


def test_jobs_of_a_one_thread_runner_run_one_after_another_in_order(qtbot):
    serial = BackgroundRunner(max_threads=1)
    release = threading.Event()
    running: list[int] = []
    overlap: list[bool] = []
    order: list[int] = []

    def job(number: int) -> int:
        running.append(number)
        overlap.append(len(running) > 1)
        if number == 0:
            release.wait(WAIT_S)
        running.remove(number)
        return number

    for number in range(4):
        serial.run(lambda n=number: job(n), on_done=order.append)
    release.set()
    qtbot.waitUntil(lambda: len(order) == 4)

    assert order == [0, 1, 2, 3]
    assert not any(overlap)
    assert serial.wait(WAIT_S)


def test_abort_all_never_blocks_and_drops_every_callback(qtbot, runner):
    started = threading.Event()
    release = threading.Event()
    called: list[str] = []

    def stuck() -> str:
        started.set()
        release.wait(WAIT_S)
        return "late"

    runner.run(stuck, on_done=called.append, on_finished=lambda: called.append("finished"))
    runner.run(lambda: "queued", on_done=called.append)  # may be queued behind
    qtbot.waitUntil(started.is_set)
    assert runner.busy

    runner.abort_all()  # returns at once although a job is stuck
    assert not runner.busy
    assert not runner.wait(0.05), "the stuck job is still running"
    release.set()
    assert runner.wait(WAIT_S)
    QCoreApplication.processEvents()  # deliver anything posted, so its absence means something
    assert called == []


def test_a_relay_hands_items_from_another_thread_to_the_gui_thread_in_order(qtbot, runner):
    received: list[tuple[int, bool]] = []
    send = runner.relay(lambda item: received.append((item, on_gui_thread())))  # type: ignore[arg-type]

    def produce() -> None:
        for number in range(50):
            send(number)

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join(WAIT_S)
    qtbot.waitUntil(lambda: len(received) == 50)

    assert [number for number, _ in received] == list(range(50))
    assert all(gui for _, gui in received)


def test_a_runner_deleted_while_its_job_runs_lets_the_job_end_quietly(qtbot):
    label = QLabel()
    doomed = BackgroundRunner(label)
    started = threading.Event()
    release = threading.Event()
    ended = threading.Event()
    called: list[object] = []

    def job() -> str:
        started.set()
        release.wait(WAIT_S)
        ended.set()
        return "nobody listens"

    worker = doomed.run(job, on_done=called.append)
    send = doomed.relay(called.append)
    qtbot.waitUntil(started.is_set)
    label.deleteLater()  # the window closes: the runner goes with it
    qtbot.waitUntil(lambda: not _alive(doomed))
    release.set()
    send("into the void")
    assert doomed.wait(WAIT_S)
    assert worker.ended and ended.is_set()
    QCoreApplication.processEvents()
    assert called == []


def test_a_job_is_asked_for_on_the_gui_thread_only(runner):
    errors: list[Exception] = []

    def ask_from_a_thread() -> None:
        try:
            runner.run(lambda: None)
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=ask_from_a_thread)
    thread.start()
    thread.join(WAIT_S)
    assert len(errors) == 1


def _alive(runner: BackgroundRunner) -> bool:
    try:
        runner.objectName()
    except RuntimeError:
        return False
    return True


def test_a_job_that_must_finish_still_runs_after_abort_all(qtbot, runner):
    release = threading.Event()
    written: list[str] = []

    def stuck() -> None:
        release.wait(WAIT_S)

    for _ in range(3):  # every thread busy: the write waits in the queue
        runner.run(stuck)
    runner.run(lambda: written.append("saved"), must_finish=True)
    runner.run(lambda: written.append("dropped"))
    runner.abort_all()
    release.set()

    assert runner.wait(WAIT_S)
    assert written == ["saved"]


def qt_objects() -> int:
    return sum(isinstance(thing, QObject) for thing in gc.get_objects())


def test_jobs_and_relays_make_no_qt_object_a_worker_thread_could_release(qtbot, runner):
    # A Qt object a worker thread held could be released, and so deleted, on that thread
    # while the GUI thread still had its queued signals to deliver: jobs and relays post
    # through the process's one mailbox instead, and make no Qt object of their own.
    runner.run(lambda: None)  # the mailbox exists from the runner's first job on
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_S * 1000)
    gc.collect()
    before = qt_objects()
    gate = threading.Event()
    got: list[object] = []
    for index in range(10):
        runner.run(lambda index=index: (gate.wait(WAIT_S), index)[1], on_done=got.append)
    send = runner.relay(got.append)
    assert qt_objects() == before
    threading.Thread(target=send, args=("relayed",)).start()
    gate.set()
    qtbot.waitUntil(lambda: len(got) == 11, timeout=WAIT_S * 1000)
    assert sorted(map(str, got)) == sorted([*map(str, range(10)), "relayed"])
