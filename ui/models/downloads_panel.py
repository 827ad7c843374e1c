"""The download queue as rows: progress, speed and time left, pause / resume / cancel.

Rows follow the queue through the Models page, which relays the queue's events to the
GUI thread (:meth:`ui.background.BackgroundRunner.relay`); on each change the row
re-reads the item's current state from the queue, since events can arrive out of order
(an item may report DOWNLOADING before the QUEUED of its ``add``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.hub.errors import format_size
from app.hub.progress import DownloadProgress
from app.hub.queue import DownloadQueue, ItemStatus, QueueItem


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class DownloadRow(QWidget):
    def __init__(self, queue: DownloadQueue, item: QueueItem, parent: QWidget | None = None):
        super().__init__(parent)
        self.item_id = item.item_id
        self._queue = queue
        self.name = QLabel(f"{item.repo_id} · {item.group.name}", self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1000)
        self.detail = QLabel(self)
        self.detail.setObjectName("downloadDetail")
        self.detail.setWordWrap(True)
        self.pause_button = QPushButton("Pause", self)
        self.resume_button = QPushButton("Resume", self)
        self.cancel_button = QPushButton("Cancel", self)
        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.detail)
        self.pause_button.clicked.connect(lambda: queue.pause(self.item_id))
        self.resume_button.clicked.connect(lambda: queue.resume(self.item_id))
        self.cancel_button.clicked.connect(lambda: queue.cancel(self.item_id))
        self.status: ItemStatus = item.status
        self.show_item(item)

    def show_item(self, item: QueueItem) -> None:
        self.status = item.status
        self._set_fraction(item.done, item.total)
        active = item.status in (ItemStatus.QUEUED, ItemStatus.DOWNLOADING)
        stopped = item.status in (ItemStatus.PAUSED, ItemStatus.FAILED)
        self.pause_button.setVisible(active)
        self.resume_button.setVisible(stopped)
        self.cancel_button.setVisible(active or stopped)
        sizes = f"{format_size(item.done)} of {format_size(item.total)}"
        if item.status is ItemStatus.FAILED:
            self.detail.setText(f"Stopped: {item.error}")
        elif item.status is ItemStatus.COMPLETED:
            self.detail.setText(f"Done: verified and in your library ({format_size(item.total)}).")
        elif item.status is ItemStatus.PAUSED:
            self.detail.setText(f"Paused at {sizes}.")
        elif item.status is ItemStatus.QUEUED:
            self.detail.setText(f"Waiting: {sizes}.")
        else:
            self.detail.setText(f"Downloading: {sizes}.")

    def show_progress(self, progress: DownloadProgress) -> None:
        if self.status is not ItemStatus.DOWNLOADING:
            return
        self._set_fraction(progress.done, progress.total)
        speed = (
            f", {format_size(int(progress.bytes_per_second))}/s"
            if progress.bytes_per_second
            else ""
        )
        left = (
            f", {duration(progress.eta_seconds)} left" if progress.eta_seconds is not None else ""
        )
        sizes = f"{format_size(progress.done)} of {format_size(progress.total)}"
        self.detail.setText(f"Downloading: {sizes}{speed}{left}.")

    def _set_fraction(self, done: int, total: int) -> None:
        self.bar.setValue(int(1000 * done / total) if total else 1000)


class DownloadsPanel(QWidget):
    """Signals: ``completed(str item_id)``, when a model has arrived verified."""

    completed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty = QLabel(
            "No downloads. Downloads carry on from where they stopped, even after a restart.", self
        )
        self.empty.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self.rows: dict[str, DownloadRow] = {}
        self._queue: DownloadQueue | None = None

    def set_queue(self, queue: DownloadQueue) -> None:
        for row in self.rows.values():
            row.deleteLater()
        self.rows.clear()
        self._queue = queue
        for item in queue.items():
            self.item_changed(item.item_id)

    def item_changed(self, item_id: str) -> None:
        if self._queue is None:
            return
        item = self._queue.item(item_id)
        row = self.rows.get(item_id)
        if item is None:  # cancelled: its files are gone
            if row is not None:
                self.rows.pop(item_id).deleteLater()
            self._update_empty()
            return
        if row is None:
            row = DownloadRow(self._queue, item, self)
            self.rows[item_id] = row
            self._layout.insertWidget(self._layout.count() - 1, row)
        was_complete = row.status is ItemStatus.COMPLETED
        row.show_item(item)
        if item.status is ItemStatus.COMPLETED and not was_complete:
            self.completed.emit(item_id)
        self._update_empty()

    def item_progress(self, item_id: str, progress: DownloadProgress) -> None:
        row = self.rows.get(item_id)
        if row is not None:
            row.show_progress(progress)

    def _update_empty(self) -> None:
        self.empty.setVisible(not self.rows)
