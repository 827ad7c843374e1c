"""A slim bar under the list for short notices, with an optional action ("Undo").

It hides itself after a timeout and reports that with :attr:`NoticeBar.expired`, so the
sidebar can tell an undo that was offered and not taken from one that was taken.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

# What a screen reader calls the action button while the notice offers no action.
NO_ACTION_NAME = "Notice action"


class NoticeBar(QFrame):
    """Shows one notice at a time; a new notice replaces the old one.

    Signals:
        action_triggered(): the action button was pressed (the bar hides).
        expired(): the notice timed out without its action being pressed.
    """

    action_triggered = Signal()
    expired = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.action_button = QPushButton(self)
        self.action_button.setAccessibleName(NO_ACTION_NAME)
        self.action_button.clicked.connect(self._on_action)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.action_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self.hide()

    def show_notice(self, text: str, timeout_ms: int, action_text: str | None = None) -> None:
        """Show ``text`` (plain) for ``timeout_ms``, with an action button if named."""
        self.label.setText(text)
        self.action_button.setVisible(action_text is not None)
        self.action_button.setText(action_text or "")
        self.action_button.setAccessibleName(action_text or NO_ACTION_NAME)
        self.show()
        self._timer.start(timeout_ms)

    def dismiss(self) -> None:
        """Hide now, without reporting a timeout."""
        self._timer.stop()
        self.hide()

    def _on_action(self) -> None:
        self.dismiss()
        self.action_triggered.emit()

    def _on_timeout(self) -> None:
        self.hide()
        self.expired.emit()
