"""Running short store jobs (search, export) on a worker thread, results on the GUI thread.

:class:`BackgroundRunner` owns a private one-thread pool, so jobs run one after another
and never on the GUI thread. Each job reports back through its own small signal carrier,
connected with a queued connection to the runner, which lives on the GUI thread: the
callbacks therefore always run there and may touch widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[], Any]
OnDone = Callable[[Any], None]
OnFailed = Callable[[str], None]


class _JobSignals(QObject):
    """The carrier one job emits its outcome on (from the worker thread)."""

    succeeded = Signal(int, object)
    failed = Signal(int, str)


class _JobTask(QRunnable):
    def __init__(self, token: int, job: Job, signals: _JobSignals) -> None:
        super().__init__()
        self._token = token
        self._job = job
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._job()
        except Exception as exc:  # any failure becomes a message in the window
            log.exception("Background job failed")
            self._signals.failed.emit(self._token, str(exc) or type(exc).__name__)
            return
        self._signals.succeeded.emit(self._token, result)


class BackgroundRunner(QObject):
    """Runs jobs off the GUI thread, one at a time, and calls back on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        # One thread: the database serialises access anyway, and order stays predictable.
        self._pool.setMaxThreadCount(1)
        self._next_token = 0
        # Carriers stay referenced here until their outcome is delivered, so they are
        # created and destroyed on the GUI thread.
        self._pending: dict[int, tuple[_JobSignals, OnDone, OnFailed]] = {}

    def submit(self, job: Job, on_done: OnDone, on_failed: OnFailed) -> None:
        """Run ``job()`` on the worker; then ``on_done(result)`` or ``on_failed(message)``."""
        self._next_token += 1
        token = self._next_token
        signals = _JobSignals()
        signals.succeeded.connect(self._deliver_success, Qt.ConnectionType.QueuedConnection)
        signals.failed.connect(self._deliver_failure, Qt.ConnectionType.QueuedConnection)
        self._pending[token] = (signals, on_done, on_failed)
        self._pool.start(_JobTask(token, job, signals))

    def wait_for_done(self, timeout_ms: int = -1) -> bool:
        """Block until running and queued jobs end (for shutting down before the DB closes)."""
        return self._pool.waitForDone(timeout_ms)

    @Slot(int, object)
    def _deliver_success(self, token: int, result: object) -> None:
        entry = self._pending.pop(token, None)
        if entry is not None:
            entry[1](result)

    @Slot(int, str)
    def _deliver_failure(self, token: int, message: str) -> None:
        entry = self._pending.pop(token, None)
        if entry is not None:
            entry[2](message)
