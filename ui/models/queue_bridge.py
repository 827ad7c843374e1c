"""The download queue's events as Qt signals.

:class:`~app.hub.queue.DownloadQueue` calls its listeners on its own thread. The bridge,
created on the GUI thread, re-emits each event as a signal; connections to widgets are
then queued, so widgets are only ever touched on the GUI thread. Events can arrive out
of order (an item may report DOWNLOADING before the QUEUED of its ``add``), so
receivers read the item's current state from the queue rather than trust the event.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.hub.queue import DownloadQueue, ItemChanged, ItemProgress, QueueEvent


class QueueBridge(QObject):
    """Signals: ``item_changed(str item_id)``, ``item_progress(str item_id, object progress)``."""

    item_changed = Signal(str)
    item_progress = Signal(str, object)

    def attach(self, queue: DownloadQueue) -> None:
        queue.add_listener(self._listen)

    def _listen(self, event: QueueEvent) -> None:  # on the queue's thread
        try:
            if isinstance(event, ItemChanged):
                self.item_changed.emit(event.item.item_id)
            elif isinstance(event, ItemProgress):
                self.item_progress.emit(event.item_id, event.progress)
        except RuntimeError:  # the bridge is gone (window closed); the queue carries on
            pass
