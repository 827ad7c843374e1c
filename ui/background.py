"""The one way the window leaves the GUI thread: :class:`BackgroundRunner`.

Everything slow the window asks for (a Hub search, listing the models folder, a search
of the chats, an export, probing the machine) runs as a job on a runner, and whatever
it produces comes back to the GUI thread, where the callbacks are called. So a callback
may touch widgets; a job never may.

In the spirit of superqt's ``create_worker`` / ``GeneratorWorker``:

- A job is a plain function or a generator function. ``on_started`` is called when it
  begins on its thread; a generator's items are handed to ``on_yield`` one by one; its
  ``return`` value (or a plain function's result) goes to ``on_done``; an exception to
  ``on_error``; ``on_finished`` comes last, always.
- Each job is a :class:`Worker` with an abort flag. :meth:`Worker.abort` stops a
  generator before its next item and drops every callback still to come but
  ``on_finished`` (a plain function runs to its end; its result is dropped).
- Each worker posts ``started / yielded / returned / errored / finished`` to the
  process's one mailbox (a ``QObject`` made on the GUI thread and kept until the process
  ends), which delivers them queued, on the GUI thread, to the runner that asked, if it
  still exists; the runner calls the callbacks there. No thread ever emits on, or lets
  go of the last reference to, a Qt object that another thread may delete: a signal
  object per job, released on whichever thread dropped it last, was deleted on worker
  threads, and the suite crashed in the garbage collector now and then.
- :meth:`BackgroundRunner.relay` turns a callback-style source on a thread the core
  owns (the download queue's listeners) into calls on the GUI thread, through the same
  mailbox.

The engine's own worker thread (:mod:`ui.engine_worker`) is the engine's runner, not a
second way: it owns the engine's request queue and stays with it.

Jobs run on daemon threads, at most ``max_threads`` at a time per runner, in the order
given. Daemon threads matter: a job stuck on the network never holds the app open after
its window has closed (Qt's thread pools wait for every job when they are destroyed).
Closing is two steps: :meth:`BackgroundRunner.abort_all` (never blocks), then
:meth:`BackgroundRunner.wait` (bounded) once the window is out of sight.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[], Any]
OnDone = Callable[[Any], None]
OnError = Callable[[Exception], None]
OnYield = Callable[[Any], None]
OnFinished = Callable[[], None]
OnStarted = Callable[[], None]

DEFAULT_THREADS = 3


def error_text(error: BaseException) -> str:
    """A failure in words for the window: its message, else the kind of error."""
    return str(error) or type(error).__name__


# What a worker (or a relay) posts: the kind of event.
_STARTED, _YIELDED, _RETURNED, _ERRORED, _FINISHED, _RELAYED = range(6)


class _Mailbox(QObject):
    """Where every worker thread posts; delivers on the GUI thread to live runners."""

    posted = Signal(int, int, int, object)  # runner key, job (or relay) id, event, payload

    def __init__(self) -> None:
        super().__init__()
        self._runners: weakref.WeakValueDictionary[int, BackgroundRunner] = (
            weakref.WeakValueDictionary()
        )
        self._keys = itertools.count(1)
        self.posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def register(self, runner: BackgroundRunner) -> int:
        key = next(self._keys)
        self._runners[key] = runner
        return key

    @Slot(int, int, int, object)
    def _deliver(self, runner_key: int, job_id: int, event: int, payload: object) -> None:
        runner = self._runners.get(runner_key)
        if runner is not None and shiboken6.isValid(runner):
            runner._receive(job_id, event, payload)


_mailbox: _Mailbox | None = None


def _the_mailbox() -> _Mailbox:
    """The process's mailbox, made on first use by a runner (on the GUI thread)."""
    global _mailbox
    if _mailbox is None:
        _mailbox = _Mailbox()
        app = QCoreApplication.instance()
        if app is not None and _mailbox.thread() is not app.thread():
            _mailbox.moveToThread(app.thread())
    return _mailbox


Post = Callable[[int, object], None]


class Worker:
    """One job on a :class:`BackgroundRunner`: its abort flag and where it posts."""

    def __init__(self, worker_id: int, job: Job, post: Post, *, must_finish: bool = False) -> None:
        self.id = worker_id
        # A write that must reach disk: abort_all lets it run (only its callbacks go).
        self.must_finish = must_finish
        self._job = job
        self._post = post  # (event, payload) to the mailbox, for this job
        self._abort = threading.Event()
        self._ended = threading.Event()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    @property
    def ended(self) -> bool:
        """The job has run (or was skipped after an abort); its thread is free."""
        return self._ended.is_set()

    def abort(self) -> None:
        """Any thread: stop before the next item; no callback but ``on_finished`` follows."""
        self._abort.set()

    def execute(self) -> None:
        """On the worker thread: run the job and post what it produced."""
        try:
            if self.aborted:
                return
            self._emit(_STARTED)
            try:
                result = self._job()
                if inspect.isgenerator(result):
                    result = self._drain(result)
            except Exception as error:  # handed to the GUI thread, which says what it means
                log.info("background job %d failed", self.id, exc_info=error)
                if not self.aborted:
                    self._emit(_ERRORED, error)
                return
            if not self.aborted:
                self._emit(_RETURNED, result)
        finally:
            self._ended.set()
            self._emit(_FINISHED)

    def _drain(self, generator: Generator[Any, Any, Any]) -> Any:
        """Every item of a generator job, stopping between items once aborted."""
        try:
            while True:
                if self.aborted:
                    generator.close()
                    return None
                try:
                    item = next(generator)
                except StopIteration as stop:
                    return stop.value
                if not self.aborted:
                    self._emit(_YIELDED, item)
        finally:
            generator.close()

    def _emit(self, event: int, payload: object = None) -> None:
        with contextlib.suppress(RuntimeError):  # the app is being torn down
            self._post(event, payload)


@dataclass
class _Callbacks:
    worker: Worker
    on_started: OnStarted | None
    on_done: OnDone | None
    on_error: OnError | None
    on_yield: OnYield | None
    on_finished: OnFinished | None


class _Lanes:
    """Up to ``size`` daemon threads taking workers from one queue, first in first out."""

    def __init__(self, size: int, name: str) -> None:
        self._size = max(1, size)
        self._name = name
        self._pending: deque[Worker] = deque()
        self._active: set[Worker] = set()
        self._threads = 0
        self._changed = threading.Condition()

    def submit(self, worker: Worker) -> None:
        with self._changed:
            self._pending.append(worker)
            if self._threads >= self._size:
                return
            self._threads += 1
        threading.Thread(target=self._drain, name=self._name, daemon=True).start()

    def drop_pending(self) -> list[Worker]:
        """Take the queued workers that may be dropped out of the queue; return them."""
        with self._changed:
            dropped = [worker for worker in self._pending if not worker.must_finish]
            self._pending = deque(worker for worker in self._pending if worker.must_finish)
            return dropped

    def busy(self, *, aborted_too: bool = True) -> bool:
        with self._changed:
            return self._busy(aborted_too)

    def wait(self, timeout_s: float | None, *, aborted_too: bool = True) -> bool:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._changed:
            while self._busy(aborted_too):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def _busy(self, aborted_too: bool) -> bool:
        workers = [*self._pending, *self._active]
        if aborted_too:
            return bool(workers)
        return any(not worker.aborted for worker in workers)

    def _drain(self) -> None:
        while True:
            with self._changed:
                if not self._pending:
                    self._threads -= 1
                    return
                worker = self._pending.popleft()
                self._active.add(worker)
            try:
                worker.execute()
            finally:
                with self._changed:
                    self._active.discard(worker)
                    self._changed.notify_all()


class BackgroundRunner(QObject):
    """Runs jobs off the GUI thread and calls their callbacks on it.

    Create it on the GUI thread, usually as a child of the widget it serves. ``max_threads``
    1 runs jobs one after another in order (the sidebar's database jobs); more lets
    slow network calls overlap (the Models page).
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        max_threads: int = DEFAULT_THREADS,
        name: str = "hearth-background",
    ) -> None:
        super().__init__(parent)
        self._lanes = _Lanes(max_threads, name)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Callbacks] = {}
        self._relays: dict[int, OnYield] = {}
        mailbox = _the_mailbox()
        self._key = mailbox.register(self)
        self._posted = mailbox.posted

    # -- asking ---------------------------------------------------------------------------
    def run(
        self,
        job: Job,
        *,
        on_started: OnStarted | None = None,
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        on_yield: OnYield | None = None,
        on_finished: OnFinished | None = None,
        must_finish: bool = False,
    ) -> Worker:
        """GUI thread: run ``job()`` on a worker thread; the callbacks come back here.

        ``must_finish``: a write that must happen even if the window closes first;
        :meth:`abort_all` drops its callbacks but neither aborts nor unqueues it.
        """
        self._check_thread()
        worker_id = next(self._ids)
        worker = Worker(worker_id, job, self._poster(worker_id), must_finish=must_finish)
        self._jobs[worker_id] = _Callbacks(
            worker, on_started, on_done, on_error, on_yield, on_finished
        )
        self._lanes.submit(worker)
        return worker

    def relay(self, on_item: OnYield) -> Callable[[object], None]:
        """GUI thread: a function any thread may call; each item reaches ``on_item`` here.

        Items arrive in the order they were given. After :meth:`abort_all` (or once this
        runner is deleted) calls are dropped.
        """
        self._check_thread()
        relay_id = next(self._ids)
        self._relays[relay_id] = on_item
        post = self._poster(relay_id)

        def send(item: object) -> None:
            with contextlib.suppress(RuntimeError):
                post(_RELAYED, item)

        return send

    def _poster(self, job_id: int) -> Post:
        """What a thread calls to post ``(event, payload)`` for ``job_id`` to this runner."""
        emit = self._posted.emit
        key = self._key

        def post(event: int, payload: object) -> None:
            emit(key, job_id, event, payload)

        return post

    # -- closing ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Some job whose outcome is still wanted has not finished."""
        return any(not entry.worker.aborted for entry in self._jobs.values())

    def abort_all(self) -> None:
        """Never blocks: abort every job, start no queued one, drop every callback.

        Jobs run with ``must_finish`` still run (and :meth:`wait` waits for them).
        """
        for worker in self._lanes.drop_pending():
            worker.abort()
        for entry in self._jobs.values():
            if not entry.worker.must_finish:
                entry.worker.abort()
        self._jobs.clear()
        self._relays.clear()

    def wait(self, timeout_s: float | None = None, *, aborted_too: bool = True) -> bool:
        """Block until no job is running or queued; False if ``timeout_s`` ran out first.

        ``aborted_too=False`` waits only for jobs still wanted, and after :meth:`abort_all`
        that is the ``must_finish`` ones (writes): an aborted job stuck on the network
        is left to its daemon thread, which ends with the process.
        """
        return self._lanes.wait(timeout_s, aborted_too=aborted_too)

    # -- delivery, on the GUI thread ---------------------------------------------------------
    def _receive(self, job_id: int, event: int, payload: object) -> None:
        """Called by the mailbox, on the GUI thread."""
        if event == _RELAYED:
            on_item = self._relays.get(job_id)
            if on_item is not None:
                on_item(payload)
        elif event == _FINISHED:
            entry = self._jobs.pop(job_id, None)
            if entry and entry.on_finished:
                entry.on_finished()
        else:
            entry = self._jobs.get(job_id)
            if entry is not None and not entry.worker.aborted:
                self._deliver(entry, event, payload)

    def _deliver(self, entry: _Callbacks, event: int, payload: object) -> None:
        if event == _STARTED and entry.on_started:
            entry.on_started()
        elif event == _YIELDED and entry.on_yield:
            entry.on_yield(payload)
        elif event == _RETURNED and entry.on_done:
            entry.on_done(payload)
        elif event == _ERRORED:
            assert isinstance(payload, Exception)
            if entry.on_error:
                entry.on_error(payload)
            else:
                log.warning("background job failed: %s", error_text(payload), exc_info=payload)

    def _check_thread(self) -> None:
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("BackgroundRunner is asked from its own (the GUI) thread only")


__all__ = ["BackgroundRunner", "Worker", "error_text"]
