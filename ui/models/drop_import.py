"""GGUF files dragged from the file manager and dropped on a widget become imports."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent


def gguf_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
    """The local ``.gguf`` files an event carries."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [
        url.toLocalFile()
        for url in mime.urls()
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf")
    ]


class GgufDropFilter(QObject):
    """Install on widgets; accepts drags of GGUF files and emits ``files_dropped(list)``.

    Other drags (text, images) are left to the widget.
    """

    files_dropped = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, (QDragEnterEvent, QDropEvent)
        ):
            if gguf_paths(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = gguf_paths(event)
            if paths:
                event.acceptProposedAction()
                self.files_dropped.emit(paths)
                return True
        return super().eventFilter(watched, event)
