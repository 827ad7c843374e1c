"""The sidebar's search box: Esc leaves search, Down moves into the hits, Enter opens one.

Esc is claimed through Qt's shortcut-override step while there is text, so a window-wide
Esc shortcut (such as Stop) does not take the key away from the search box.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QToolButton, QWidget


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
        for button in self.findChildren(QToolButton):  # the clear button Qt adds
            button.setAccessibleName("Clear the search")

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.text()
        ):
            event.accept()  # deliver Esc here as a key press, not to a shortcut
            return True
        return super().event(event)

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
