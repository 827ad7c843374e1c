"""The question before a tool call runs: the tool, its server, what it does, the arguments.

Python code is shown as highlighted, monospace code, exactly what will run; other
arguments as indented JSON. When the call was proposed right after the model read a
tool's result or a document (which may carry instructions that are not the user's),
a warning says so. Allow once, Allow for this chat, Deny; closing the dialog denies.

The dialog never blocks the GUI thread: it is shown with ``show()``, not ``exec()``,
and reports the answer through ``decided``; it does not block the window either, so
Stop stays in reach (the controller then closes it with :meth:`withdraw`). Everything
in it that came from the model or a server is shown as plain text, never as markup.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.tools.approval import ApprovalRequest, Decision
from ui.chat.tool_block import display_name
from ui.render.code_block import CodeBlockView

_STYLE = """
QLabel#approvalWarning {
    background: palette(alternate-base); border: 1px solid palette(mid);
    border-left: 4px solid #d9534f; border-radius: 4px; padding: 6px 10px;
}
QLabel#approvalDescription { color: palette(placeholder-text); }
"""


class ApprovalDialog(QDialog):
    """Asks about one call. Signals: ``decided(object)``: the user's ``Decision``, once."""

    decided = Signal(object)

    def __init__(self, request: ApprovalRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._answered = False
        self.setObjectName("approvalDialog")
        self.setStyleSheet(_STYLE)
        self.setWindowTitle("Allow this tool call?")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)

        tool = display_name(request.tool)
        if request.code is not None:
            asks = "The model wants to run this Python code in the sandbox:"
        elif request.server:
            asks = f"The model wants to use {tool} from the MCP server {request.server}."
        else:
            asks = f"The model wants to use {tool}."
        self.heading = _plain(asks, self)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.tool_label = _plain(
            f"Tool: {request.tool}" + (f"    Server: {request.server}" if request.server else ""),
            self,
        )
        self.description_label = _plain(request.description, self)
        self.description_label.setObjectName("approvalDescription")

        if request.code is not None:
            self.code_view: CodeBlockView | None = CodeBlockView("python", self)
            self.code_view.set_code(request.code)
            self.arguments_view: QPlainTextEdit | None = None
            shown: QWidget = self.code_view
        else:
            self.code_view = None
            self.arguments_view = QPlainTextEdit(self)
            self.arguments_view.setReadOnly(True)
            self.arguments_view.setPlainText(request.arguments_text)
            self.arguments_view.setFont(
                QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            )
            self.arguments_view.setAccessibleName("The call's arguments")
            self.arguments_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            shown = self.arguments_view

        self.warning_label = _plain(request.warning, self)
        self.warning_label.setObjectName("approvalWarning")
        self.warning_label.setVisible(bool(request.warning))

        self.buttons = QDialogButtonBox(self)
        self.allow_once_button = self._add("Allow once", QDialogButtonBox.ButtonRole.AcceptRole)
        self.allow_chat_button = self._add(
            "Allow for this chat", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.deny_button = self._add("Deny", QDialogButtonBox.ButtonRole.RejectRole)
        self.allow_chat_button.setToolTip(
            f"Run {tool} without asking for the rest of this chat, except right after the"
            " model has read a tool's result or a document"
        )
        self.deny_button.setToolTip("Do not run it; the model is told you declined")
        # Enter answers no when the call deserves a second look.
        default = self.deny_button if request.untrusted else self.allow_once_button
        default.setDefault(True)
        default.setFocus()
        self.allow_once_button.clicked.connect(lambda: self._decide(Decision.ALLOW_ONCE))
        self.allow_chat_button.clicked.connect(lambda: self._decide(Decision.ALLOW_FOR_CHAT))
        self.deny_button.clicked.connect(lambda: self._decide(Decision.DENY))

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tool_label)
        layout.addWidget(self.description_label)
        layout.addWidget(shown, 1 if self.arguments_view is not None else 0)
        layout.addWidget(self.warning_label)
        layout.addStretch(0)
        layout.addWidget(self.buttons)
        self.resize(560, 320)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # As tall as what it shows, now that the code is laid out at the dialog's width.
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            self.resize(self.width(), layout.totalHeightForWidth(self.width()))

    @property
    def answered(self) -> bool:
        return self._answered

    def withdraw(self) -> None:
        """Closes without an answer: the question no longer stands (Stop came)."""
        self._answered = True
        self.hide()
        self.deleteLater()

    def reject(self) -> None:
        """Escape or the window's close button (QDialog's closeEvent rejects): declined."""
        self._decide(Decision.DENY)

    def _decide(self, decision: Decision) -> None:
        if not self._answered:
            self._answered = True
            self.decided.emit(decision)
        self.hide()
        self.deleteLater()

    def _add(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = self.buttons.addButton(text, role)
        assert isinstance(button, QPushButton)
        button.setAutoDefault(False)
        return button


def _plain(text: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    return label
