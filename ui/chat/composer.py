"""The message box: Enter sends, Shift+Enter starts a new line; Send turns into Stop.

Under the box sit the thinking switches (:mod:`ui.chat.thinking_controls`), shown only
for a model whose template offers them, and the chat's tools (:mod:`ui.chat.tool_controls`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ui.chat.thinking_controls import ThinkingControls
from ui.chat.tool_controls import ToolControls
from ui.docs.attach_button import AttachButton
from ui.docs.strip import DocsStrip


class MessageEdit(QPlainTextEdit):
    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Signals: ``send_requested(str)`` with the text; ``stop_requested()``."""

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = MessageEdit(self)
        self.edit.setPlaceholderText("Message (Enter to send, Shift+Enter for a new line)")
        self.edit.setFixedHeight(84)
        self.edit.setAccessibleName("Message")
        self.button = QPushButton("Send", self)
        self.button.setDefault(True)
        self.button.setMinimumWidth(80)
        self.thinking_controls = ThinkingControls(self)
        self.tool_controls = ToolControls(self)
        # Documents (ui/docs): the paperclip beside the box, the collections and progress.
        self.attach_button = AttachButton(self)
        self.docs_strip = DocsStrip(self)
        row = QHBoxLayout()
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        controls_row = QHBoxLayout()
        controls_row.addWidget(self.tool_controls)
        controls_row.addWidget(self.thinking_controls)
        controls_row.addWidget(self.docs_strip)
        controls_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 12)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addLayout(controls_row)
        self.edit.submitted.connect(self._submit)
        self.button.clicked.connect(self._clicked)
        self._streaming = False

    def set_streaming(self, streaming: bool) -> None:
        self._streaming = streaming
        self.button.setText("Stop" if streaming else "Send")
        self.button.setToolTip("Stop the reply (Esc)" if streaming else "Send (Enter)")

    def _clicked(self) -> None:
        if self._streaming:
            self.stop_requested.emit()
        else:
            self._submit()

    def _submit(self) -> None:
        if self._streaming:
            return
        text = self.edit.toPlainText().strip()
        if not text:
            return
        self.edit.clear()
        self.send_requested.emit(text)
