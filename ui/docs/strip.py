"""The documents line under the message box: the chat's collections, indexing progress.

"Documents" opens a menu of the collections, each checkable for this chat, and "Manage
collections…". While files are indexed it shows the progress (files, pages, passages)
with Pause and Cancel; when indexing ends it says what was indexed and names the files
that could not be read.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from app.docs.indexer import Progress


class DocsStrip(QWidget):
    """Signals: ``collection_toggled(int, bool)``, ``manage_requested()``,
    ``pause_clicked()``, ``cancel_clicked()``."""

    collection_toggled = Signal(int, bool)
    manage_requested = Signal()
    pause_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QToolButton(self)
        self.button.setText("Documents")
        self.button.setAccessibleName("Documents for this chat")
        self.button.setToolTip("Collections of documents this chat answers from")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setAutoRaise(True)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("status")
        self.pause_button = QPushButton("Pause", self)
        self.cancel_button = QPushButton("Cancel", self)
        for button in (self.pause_button, self.cancel_button):
            button.setFlat(True)
            button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.button)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.cancel_button)
        self.pause_button.clicked.connect(self.pause_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.set_collections([])

    def set_collections(self, collections: Sequence[tuple[int, str, bool]]) -> None:
        """(id, name, on for this chat) of each collection."""
        self.menu.clear()
        on = 0
        for collection_id, name, checked in collections:
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.setChecked(checked)
            action.toggled.connect(
                lambda value, cid=collection_id: self.collection_toggled.emit(cid, value)
            )
            self.menu.addAction(action)
            on += int(checked)
        if collections:
            self.menu.addSeparator()
        self.menu.addAction("Manage collections…", self.manage_requested.emit)
        self.button.setText(f"Documents ({on} on)" if on else "Documents")

    def show_progress(self, progress: Progress, paused: bool) -> None:
        self.progress_label.setText(
            ("Paused: " if paused else "Indexing: ")
            + progress.summary
            + (f" · {progress.current}" if progress.current else "")
        )
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.show()
        self.cancel_button.show()

    def show_finished(self, progress: Progress) -> None:
        self.pause_button.hide()
        self.cancel_button.hide()
        word = "Cancelled" if progress.cancelled else "Indexed"
        self.progress_label.setText(f"{word}: {progress.summary}")
        self.progress_label.setToolTip("\n".join(progress.failures))

    def show_message(self, text: str) -> None:
        self.progress_label.setText(text)
