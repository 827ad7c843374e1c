"""The sidebar's search box: Esc leaves search, Down moves into the hits, Enter opens one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget


class SearchField(QLineEdit):
    """A one-line search box with keys that lead to the results.

    Signals:
        escape_pressed(): Esc (the sidebar clears the search and shows the list again).
        down_pressed(): Down arrow (focus moves into the hits).
        enter_pressed(): Enter (open the first hit).
    """

    escape_pressed = Signal()
    down_pressed = Signal()
    enter_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Search chats")
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search conversations")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
        elif key == Qt.Key.Key_Down:
            self.down_pressed.emit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
