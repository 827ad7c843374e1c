"""Files dragged from the file manager and dropped on a widget: the one filter for any kind.

Each kind of drop (GGUF models, documents) is a subclass that says which paths it wants;
the drag and drop handling is here once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent


class FileDropFilter(QObject):
    """Install on widgets; accepts drags carrying files it wants, emits ``files_dropped(list)``.

    A drag that carries none of them (text, images, another kind of file) is left to the
    widget and its other filters.
    """

    files_dropped = Signal(list)

    def wants(self, path: str) -> bool:
        """Whether a dropped local file or folder is of this filter's kind."""
        raise NotImplementedError

    def dropped_paths(self, event: QDragEnterEvent | QDropEvent) -> list[str]:
        """The local files and folders an event carries that this filter wants."""
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        return [path for path in paths if self.wants(path)]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, (QDragEnterEvent, QDropEvent)
        ):
            if self.dropped_paths(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = self.dropped_paths(event)
            if paths:
                event.acceptProposedAction()
                self.files_dropped.emit(paths)
                return True
        return super().eventFilter(watched, event)
