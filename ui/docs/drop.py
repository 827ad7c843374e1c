"""Documents dragged from the file manager and dropped on the chat become the chat's."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from app.docs.readers import is_supported


def document_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
    """The local files and folders of kinds Hearth reads that an event carries."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if Path(path).is_dir() or is_supported(Path(path))]


class DocumentDropFilter(QObject):
    """Install on widgets; accepts drags of documents and emits ``files_dropped(list)``.

    Other drags (a GGUF model, text) are left to the widget and its other filters.
    """

    files_dropped = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, (QDragEnterEvent, QDropEvent)
        ):
            if document_paths(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = document_paths(event)
            if paths:
                event.acceptProposedAction()
                self.files_dropped.emit(paths)
                return True
        return super().eventFilter(watched, event)
