"""The conversation on screen: a scrolling column of messages that follows new text.

The view stays pinned to the newest text while a reply streams, unless the user has
scrolled up to read, in which case it leaves the scroll position alone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.store.records import Message
from ui.chat.coalescer import TextCoalescer
from ui.chat.message_widget import MessageWidget, VersionInfo

# How close to the bottom (pixels) still counts as "at the bottom".
FOLLOW_SLACK = 24


class ChatView(QScrollArea):
    """Signals mirror :class:`MessageWidget`'s, for whichever message sent them."""

    regenerate_clicked = Signal(int)
    edit_submitted = Signal(int, str)
    version_selected = Signal(int)
    reload_clicked = Signal()
    link_requested = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._column = QWidget(self)
        self._column.setObjectName("chatColumn")
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(0, 8, 0, 8)
        self._layout.setSpacing(2)
        self.instructions_label = QLabel(self._column)
        self.instructions_label.setObjectName("instructions")
        self.instructions_label.setWordWrap(True)
        self.instructions_label.setContentsMargins(16, 4, 16, 4)
        self.instructions_label.hide()
        self._layout.addWidget(self.instructions_label)
        self.empty_label = QLabel(self._column)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setText(
            "<h2>What's on your mind?</h2>"
            "<p>Everything runs on this computer: nothing you write leaves it.</p>"
        )
        self._layout.addWidget(self.empty_label, 1)
        self._layout.addStretch(0)
        self.setWidget(self._column)
        self.widgets: list[MessageWidget] = []
        self._streaming: MessageWidget | None = None
        self._follow = True
        self.coalescer = TextCoalescer(self._deliver, self)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

    # Content -----------------------------------------------------------------------------

    def show_messages(
        self,
        messages: list[Message],
        versions: dict[int, VersionInfo],
        model_names: dict[str, str] | None = None,
        *,
        busy: bool = False,
    ) -> None:
        """Replaces what is shown with ``messages`` (root to newest)."""
        self.coalescer.flush()
        for widget in self.widgets:
            widget.deleteLater()
        self.widgets = []
        self._streaming = None
        names = model_names or {}
        for index, message in enumerate(messages):
            is_last_reply = message.role == "assistant" and index == len(messages) - 1
            can_act = not busy and (is_last_reply or message.role == "user")
            self._add(message, versions.get(message.id), names, can_act)
        self.empty_label.setVisible(not messages)
        self._follow = True
        self.scroll_to_bottom()

    def add_message(self, message: Message, model_names: dict[str, str] | None = None) -> None:
        self.empty_label.hide()
        self._add(message, None, model_names or {}, False)

    def begin_reply(self, message: Message, model_names: dict[str, str] | None = None) -> None:
        self.empty_label.hide()
        self._streaming = self._add(message, None, model_names or {}, False)

    def append_text(self, text: str) -> None:
        self.coalescer.push(text)

    def finish_reply(self, message: Message, versions: VersionInfo) -> None:
        self.coalescer.flush()
        widget = self.widget_for(message.id)
        if widget is not None:
            widget.set_versions(versions)
            widget.finish(message, can_regenerate=True)
        self._streaming = None
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, no other message can be regenerated or edited."""
        last = len(self.widgets) - 1
        for index, widget in enumerate(self.widgets):
            role = widget.message.role
            widget.set_can_act(not busy and (role == "user" or index == last))

    def set_instructions(self, text: str) -> None:
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        if first_line:
            shown = first_line if len(first_line) <= 120 else first_line[:117] + "…"
            self.instructions_label.setText(f"Custom instructions active: <i>{_escape(shown)}</i>")
        self.instructions_label.setVisible(bool(first_line))

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self.widgets if w.message.id == message_id), None)

    def scroll_to_message(self, message_id: int) -> None:
        widget = self.widget_for(message_id)
        if widget:
            self._follow = False
            self.ensureWidgetVisible(widget, 0, 40)

    def _add(
        self,
        message: Message,
        versions: VersionInfo | None,
        names: dict[str, str],
        can_act: bool,
    ) -> MessageWidget:
        author = "You" if message.role == "user" else names.get(message.model or "", "Assistant")
        widget = MessageWidget(
            message, author=author, versions=versions, can_regenerate=can_act, parent=self._column
        )
        widget.regenerate_clicked.connect(self.regenerate_clicked)
        widget.edit_submitted.connect(self.edit_submitted)
        widget.version_selected.connect(self.version_selected)
        widget.reload_clicked.connect(self.reload_clicked)
        widget.link_requested.connect(self.link_requested)
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self.widgets.append(widget)
        return widget

    def _deliver(self, text: str) -> None:
        if self._streaming is not None:
            self._streaming.append_text(text)

    # Following the newest text -------------------------------------------------------------

    @property
    def following(self) -> bool:
        return self._follow

    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - FOLLOW_SLACK

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
