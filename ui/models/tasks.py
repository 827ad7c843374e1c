"""Running a function on a worker thread and getting its result back on the GUI thread.

:class:`TaskRunner` hands each call to its own thread pool; the result (or the
exception) comes back through a queued signal to the runner, which lives on the GUI
thread, and only there are the callbacks called. So a callback may touch widgets.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class _Job(QRunnable):
    def __init__(self, runner: TaskRunner, job_id: int, function: Callable[[], Any]) -> None:
        super().__init__()
        self._runner = runner
        self._job_id = job_id
        self._function = function

    def run(self) -> None:
        try:
            result, error = self._function(), None
        except Exception as err:  # handed to the GUI thread, which decides what to show
            result, error = None, err
        try:
            self._runner.finished.emit(self._job_id, result, error)
        except RuntimeError:  # the runner was deleted while this ran (window closed)
            log.debug("task %d finished after its runner was deleted", self._job_id)


class TaskRunner(QObject):
    """Signals: ``finished(int job, object result, object error)`` (internal)."""

    finished = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None, max_threads: int = 3) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Done, Failed]] = {}
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(self, function: Callable[[], Any], done: Done, failed: Failed) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = (done, failed)
        self._pool.start(_Job(self, job_id, function))
        return job_id

    def busy(self) -> bool:
        return bool(self._callbacks)

    def shutdown(self, wait_ms: int = 20_000) -> None:
        """Drop pending callbacks and wait for running jobs (each has its own time limit)."""
        self._callbacks.clear()
        self._pool.clear()
        self._pool.waitForDone(wait_ms)

    @Slot(int, object, object)
    def _deliver(self, job_id: int, result: object, error: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks is None:
            return
        done, failed = callbacks
        if isinstance(error, Exception):
            failed(error)
        else:
            done(result)
