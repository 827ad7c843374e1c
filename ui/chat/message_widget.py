"""One message in the chat: who wrote it, the text, its figures, versions and actions.

A reply's thinking sits in its own folding section above the answer
(:mod:`ui.chat.thinking_section`); the body, Copy and everything else use the answer.
Copy puts the answer's Markdown on the clipboard; its menu also offers plain text (as
shown, formulas as their LaTeX). A failed reply says why in a notice across the
message's width, above its buttons.

A reply's tool calls show as compact blocks under its text (:mod:`ui.chat.tool_block`),
one per call, in order; their results come from the tool messages, which the chat view
attaches here by call id. The later rounds of one reply (the model going on after
reading results) carry no author line of their own, so the rounds read as one reply.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.store.records import Message
from ui.chat.thinking_section import ThinkingSection
from ui.chat.tool_block import ToolBlock
from ui.render.message_body import MessageBody
from ui.think.button import think_longer_button

# How long the Copy button says "Copied".
_COPIED_FEEDBACK_MS = 1500


@dataclass(frozen=True)
class VersionInfo:
    """Where a message stands among its versions (1-based ``index`` of ``count``)."""

    index: int
    count: int
    previous_id: int | None
    next_id: int | None


def stats_text(message: Message) -> str:
    parts = []
    if message.completion_tokens:
        parts.append(f"{message.completion_tokens} tokens")
    if message.tokens_per_s:
        parts.append(f"{message.tokens_per_s:.1f} tok/s")
    if message.ttft_ms:
        parts.append(f"first token {message.ttft_ms:.0f} ms")
    return " · ".join(parts)


def status_text(message: Message) -> str:
    if message.status == "stopped":
        return "Stopped"
    if message.status == "interrupted":
        return "Interrupted: Hearth closed before this reply finished"
    if message.status == "error":
        return message.error or "The reply failed"
    return ""


class MessageWidget(QFrame):
    """Signals: ``regenerate_clicked(int)``, ``edit_submitted(int, str)``,
    ``version_selected(int)``, ``reload_clicked()``, ``link_requested(QUrl)``,
    ``copied(str)`` (the answer went to the clipboard)."""

    regenerate_clicked = Signal(int)
    edit_submitted = Signal(int, str)
    version_selected = Signal(int)
    reload_clicked = Signal()
    link_requested = Signal(QUrl)
    copied = Signal(str)
    # Think longer on this reply with N candidates; the candidates of a version it made.
    think_longer_clicked = Signal(int, int)
    candidates_requested = Signal(int)

    def __init__(
        self,
        message: Message,
        *,
        author: str,
        versions: VersionInfo | None = None,
        can_regenerate: bool = False,
        continues: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(4)

        self.author_label = QLabel(f"<b>{html.escape(author)}</b>", self)
        layout.addWidget(self.author_label)
        # A later round of a reply that used tools: the same reply, going on.
        self.continues = continues
        self.author_label.setVisible(not continues)
        if continues:
            layout.setContentsMargins(16, 0, 16, 10)

        self.thinking: ThinkingSection | None = None
        if message.role == "user":
            self.body: MessageBody | QLabel = QLabel(self)
            self.body.setTextFormat(Qt.TextFormat.PlainText)
            self.body.setWordWrap(True)
            self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.body.setText(message.content)
        else:
            self.thinking = ThinkingSection(self)
            self.thinking.set_stored(message.reasoning, message.thinking_ms)
            layout.addWidget(self.thinking)
            self.body = MessageBody(self)
            self.body.set_markdown(message.content)
            self.body.link_requested.connect(self.link_requested)
        layout.addWidget(self.body)

        # The turn's tool calls, one block each, in the order the model made them.
        self.tool_blocks: dict[str, ToolBlock] = {}
        self.tools_area = QWidget(self)
        self._tools_layout = QVBoxLayout(self.tools_area)
        self._tools_layout.setContentsMargins(0, 2, 0, 2)
        self._tools_layout.setSpacing(4)
        self.tools_area.hide()
        layout.addWidget(self.tools_area)
        for call in message.tool_calls:
            self.add_tool_call(call.id, call.name, call.arguments, call.raw, call.error)
        # What the user should know beyond the reply (a tool that could not be had).
        self.note_label = QLabel(self)
        self.note_label.setObjectName("status")
        self.note_label.setWordWrap(True)
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.hide()
        layout.addWidget(self.note_label)
        self._show_body()

        self._editor: QPlainTextEdit | None = None
        self._edit_row: QWidget | None = None

        footer = QHBoxLayout()
        footer.setSpacing(8)
        self.version_label = QLabel(self)
        self.previous_button = _small_button("‹", "Previous version", self)
        self.previous_button.setAccessibleName("Previous version")
        self.next_button = _small_button("›", "Next version", self)
        self.next_button.setAccessibleName("Next version")
        footer.addWidget(self.previous_button)
        footer.addWidget(self.version_label)
        footer.addWidget(self.next_button)
        self.stats_label = QLabel(self)
        self.stats_label.setObjectName("stats")
        # Stopped, interrupted or failed: a line of its own across the message's width.
        self.status_label = QLabel(self)
        self.status_label.setObjectName("status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.status_label)
        footer.addWidget(self.stats_label)
        footer.addStretch(1)
        self.reload_button = _small_button("Reload model", "Load the model again", self)
        self.copy_button = _copy_button(self)
        self.copy_markdown_action = self.copy_button.menu().addAction("Copy as Markdown")
        self.copy_text_action = self.copy_button.menu().addAction("Copy as plain text")
        self.copy_markdown_action.triggered.connect(self.copy_to_clipboard)
        self.copy_text_action.triggered.connect(self.copy_plain_text)
        self.regenerate_button = _small_button("Regenerate", "Write a new version", self)
        self.edit_button = _small_button("Edit", "Edit and send again", self)
        footer.addWidget(self.reload_button)
        footer.addWidget(self.copy_button)
        footer.addWidget(self.regenerate_button)
        self.think_button = think_longer_button(
            self,
            lambda count: self.think_longer_clicked.emit(self.message.id, count),
            lambda: self.candidates_requested.emit(self.message.id),
        )
        footer.addWidget(self.think_button)
        footer.addWidget(self.edit_button)
        layout.addLayout(footer)

        self._versions = versions
        self.previous_button.clicked.connect(self._previous)
        self.next_button.clicked.connect(self._next)
        self.regenerate_button.clicked.connect(lambda: self.regenerate_clicked.emit(message.id))
        self.edit_button.clicked.connect(self.start_editing)
        self.reload_button.clicked.connect(self.reload_clicked)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self._can_regenerate = can_regenerate
        self._refresh_footer()

    # Streaming -------------------------------------------------------------------------

    def append_text(self, text: str) -> None:
        """More of the answer; the thinking before it, if any, is over."""
        if self.thinking is not None:
            self.thinking.answer_started()
        if isinstance(self.body, MessageBody):
            self.body.append(text)

    def show_so_far(self, answer: str, thinking: str) -> None:
        """A streaming reply shown again: everything it has written up to now."""
        if self.thinking is not None and thinking:
            self.thinking.set_stored("", None)
            self.thinking.append(thinking)
            if answer:
                self.thinking.answer_started()
        if isinstance(self.body, MessageBody):
            self.body.set_markdown(answer)

    def show_stored_progress(self, message: Message) -> None:
        """A reply another process is writing, as far as it is stored now."""
        self.message = message
        self.show_so_far(message.content, message.reasoning or "")

    def append_thinking(self, text: str) -> None:
        """More of the model's thinking, shown live in the section above the answer."""
        if self.thinking is not None:
            self.thinking.append(text)

    def finish(self, message: Message, *, can_regenerate: bool) -> None:
        """The reply is done: show its final text, thinking, figures and status.

        A call still unanswered now never will be (the reply was stopped first)."""
        if isinstance(self.body, MessageBody) and message.content != self.body.markdown():
            self.body.set_markdown(message.content)
        if self.thinking is not None:
            self.thinking.finish(message.reasoning, message.thinking_ms)
        self.message = message
        for block in self.tool_blocks.values():
            block.end_unanswered()
        self._can_regenerate = can_regenerate
        self._show_body()
        self._refresh_footer()

    # Tool calls ------------------------------------------------------------------------

    def add_tool_call(
        self,
        call_id: str,
        name: str,
        arguments: dict[str, object] | None,
        raw: str = "",
        error: str | None = None,
    ) -> ToolBlock:
        """A block for one call of this turn (the same call twice gives the same block)."""
        block = self.tool_blocks.get(call_id)
        if block is None:
            block = ToolBlock(call_id, name, arguments, raw, error, self.tools_area)
            self.tool_blocks[call_id] = block
            self._tools_layout.addWidget(block)
            self.tools_area.show()
        return block

    def set_note(self, text: str | None) -> None:
        """One line under the reply for what the user should know beyond it."""
        self.note_label.setText(text or "")
        self.note_label.setVisible(bool(text))

    def _show_body(self) -> None:
        # A turn that only called tools shows its blocks, not an empty text area.
        empty = not self.message.content and self.message.status != "streaming"
        self.body.setVisible(not (empty and self.tool_blocks))

    def set_can_act(self, can_act: bool) -> None:
        if can_act == self._can_regenerate:
            return  # a reply starting or ending visits every message: most stay as they are
        self._can_regenerate = can_act
        self._refresh_footer()

    def set_versions(self, versions: VersionInfo) -> None:
        self._versions = versions
        self._refresh_footer()

    def plain_text(self) -> str:
        """The answer as shown (never the thinking)."""
        if isinstance(self.body, MessageBody):
            return self.body.plain_text()
        return self.body.text()

    def copy_to_clipboard(self) -> None:
        """Puts the message's Markdown on the clipboard: for a reply, the answer alone."""
        self._copy(self.message.content)

    def copy_plain_text(self) -> None:
        """Puts the answer as shown on the clipboard: no Markdown, formulas as LaTeX."""
        self._copy(self.plain_text())

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("Copied")
        QTimer.singleShot(_COPIED_FEEDBACK_MS, self, self._reset_copy_label)
        self.copied.emit(text)

    def _reset_copy_label(self) -> None:
        self.copy_button.setText("Copy")

    # Footer ------------------------------------------------------------------------------

    def _refresh_footer(self) -> None:
        message = self.message
        streaming = message.status == "streaming"
        versions = self._versions
        show_versions = versions is not None and versions.count > 1
        for widget in (self.previous_button, self.version_label, self.next_button):
            widget.setVisible(show_versions)
        if versions is not None and show_versions:
            self.version_label.setText(f"{versions.index}/{versions.count}")
            self.previous_button.setEnabled(versions.previous_id is not None and not streaming)
            self.next_button.setEnabled(versions.next_id is not None and not streaming)
        self.stats_label.setText(stats_text(message) if message.role == "assistant" else "")
        self.stats_label.setVisible(bool(self.stats_label.text()))
        self.status_label.setText(status_text(message))
        self.status_label.setVisible(bool(self.status_label.text()))
        notice = "errorNotice" if message.status == "error" else "status"
        if self.status_label.objectName() != notice:
            self.status_label.setObjectName(notice)
            self.status_label.style().unpolish(self.status_label)
            self.status_label.style().polish(self.status_label)
        is_reply = message.role == "assistant"
        self.regenerate_button.setVisible(is_reply and self._can_regenerate and not streaming)
        self.think_button.setVisible(is_reply and self._can_regenerate and not streaming)
        self.reload_button.setVisible(is_reply and message.status == "error")
        self.copy_button.setVisible(is_reply and not streaming and bool(message.content))
        self.edit_button.setVisible(message.role == "user" and self._can_regenerate)

    def _previous(self) -> None:
        if self._versions and self._versions.previous_id is not None:
            self.version_selected.emit(self._versions.previous_id)

    def _next(self) -> None:
        if self._versions and self._versions.next_id is not None:
            self.version_selected.emit(self._versions.next_id)

    # Editing a user's message ------------------------------------------------------------

    def start_editing(self) -> None:
        if self._editor is not None:
            return
        self._editor = QPlainTextEdit(self)
        self._editor.setPlainText(self.message.content)
        self._editor.setAccessibleName("Edit message")
        row = QWidget(self)
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        send = QPushButton("Send", row)
        cancel = QPushButton("Cancel", row)
        row_layout.addStretch(1)
        row_layout.addWidget(cancel)
        row_layout.addWidget(send)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, self._editor)
        layout.insertWidget(3, row)
        self._edit_row = row
        self.body.hide()
        send.clicked.connect(self._submit_edit)
        cancel.clicked.connect(self._stop_editing)
        self._editor.setFocus()

    def _submit_edit(self) -> None:
        if self._editor is None:
            return
        text = self._editor.toPlainText().strip()
        self._stop_editing()
        if text:
            self.edit_submitted.emit(self.message.id, text)

    def _stop_editing(self) -> None:
        for widget in (self._editor, self._edit_row):
            if widget is not None:
                widget.deleteLater()
        self._editor = None
        self._edit_row = None
        self.body.show()


def _copy_button(parent: QWidget) -> QToolButton:
    """Copy: a click copies the Markdown; its arrow offers Markdown or plain text."""
    button = QToolButton(parent)
    button.setText("Copy")
    button.setAccessibleName("Copy the answer")
    button.setToolTip("Copy the answer as Markdown (the arrow: as plain text)")
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    button.setMenu(QMenu(button))
    return button


def _small_button(text: str, tip: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setToolTip(tip)
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button
