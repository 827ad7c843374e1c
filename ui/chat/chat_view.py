"""The conversation on screen: a scrolling column of messages that follows new text.

Two things keep it quick with long conversations:

- The newest exchange lives in a small container of its own, so a streaming reply that
  grows only re-lays out that container, not every message above it.
- Opening a conversation renders only the newest messages; older ones are rendered a
  few at a time as the user scrolls up to them, so a long history never stalls the
  window.

The view stays pinned to the newest text while a reply streams, unless the user has
scrolled up to read, in which case it leaves the scroll position alone.

A reply's answer reaches its message through the coalescer; its thinking goes straight to
the message's thinking section, which gathers pieces per frame on its own.

Reading comfort: Ctrl+= and Ctrl+- (or Ctrl and the wheel) zoom the conversation's text
in steps, Ctrl+0 goes back to 100%; :attr:`ChatView.zoom_changed` tells the window,
which keeps the choice. On a wide window the messages keep a readable width (about
:data:`READABLE_CHARS` characters of the zoomed text), centred.

Tool messages are never bubbles of their own: each is the result of a call shown as a
block in the assistant turn that made the call (matched by call id), and a turn after
tool results continues the reply above it. While a reply runs, calls and results reach
their blocks through a map from call id, so each costs the same however long the chat.
"""

from __future__ import annotations

import html
import time
from functools import partial

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QFontMetricsF, QKeySequence, QResizeEvent, QShortcut, QWheelEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.engine.tool_calls import ToolCall
from app.store.records import Message
from ui.chat.coalescer import TextCoalescer
from ui.chat.message_widget import MessageWidget, VersionInfo

# How close to the bottom (pixels) still counts as "at the bottom".
FOLLOW_SLACK = 24
# Messages rendered when a conversation opens; older ones follow as the user scrolls up.
FIRST_BATCH = 8
# Rendering a chat as it opens goes on for at most this long per turn of the event loop
# (newest first), so a chat of long messages never freezes the window.
FIRST_SCREEN_BUDGET_S = 0.04
OLDER_BATCH = 2
# Scrolling this close to the top (pixels) brings in older messages.
LOAD_OLDER_MARGIN = 300
# Zoom factors of the conversation's text; a zoom level counts steps from 100%.
ZOOM_FACTORS = (0.67, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5)
_NORMAL = ZOOM_FACTORS.index(1.0)
MIN_ZOOM, MAX_ZOOM = -_NORMAL, len(ZOOM_FACTORS) - 1 - _NORMAL
# A readable line: about this many characters of text, plus the message's margins.
READABLE_CHARS = 100
MESSAGE_MARGINS = 2 * (16 + 12)


def _column(parent: QWidget) -> tuple[QWidget, QVBoxLayout]:
    widget = QWidget(parent)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    return widget, layout


class ChatView(QScrollArea):
    """Signals mirror :class:`MessageWidget`'s, for whichever message sent them, plus
    ``zoom_changed(int)``: the user zoomed; the new level (steps from 100%)."""

    zoom_changed = Signal(int)
    regenerate_clicked = Signal(int)
    edit_submitted = Signal(int, str)
    version_selected = Signal(int)
    reload_clicked = Signal()
    link_requested = Signal(QUrl)
    # A message's widget, made or finished: add-ons decorate it (documents' citations).
    message_shown = Signal(object)
    think_longer_clicked = Signal(int, int)
    candidates_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._page = QWidget(self)
        self._page.setObjectName("chatColumn")
        layout = self._page_layout = QVBoxLayout(self._page)
        layout.setContentsMargins(0, 8, 0, 8)
        layout.setSpacing(2)
        self.instructions_label = QLabel(self._page)
        self.instructions_label.setObjectName("instructions")
        self.instructions_label.setWordWrap(True)
        self.instructions_label.setContentsMargins(16, 4, 16, 4)
        self.instructions_label.hide()
        layout.addWidget(self.instructions_label)
        # One line when Hearth adapted the model's chat template (fallback, folded system).
        self.template_note_label = QLabel(self._page)
        self.template_note_label.setObjectName("templateNote")
        self.template_note_label.setWordWrap(True)
        self.template_note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.template_note_label.setContentsMargins(16, 4, 16, 4)
        self.template_note_label.hide()
        layout.addWidget(self.template_note_label)
        self.empty_label = QLabel(self._page)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setText(
            "<h2>What's on your mind?</h2>"
            "<p>Everything runs on this computer: nothing you write leaves it.</p>"
        )
        layout.addWidget(self.empty_label, 1)
        self._history, self._history_layout = _column(self._page)
        self._live, self._live_layout = _column(self._page)
        layout.addWidget(self._history)
        layout.addWidget(self._live)
        layout.addStretch(0)
        self.setWidget(self._page)

        self.widgets: list[MessageWidget] = []
        self._live_widgets: list[MessageWidget] = []
        self._streaming: MessageWidget | None = None
        self._pending_older: list[tuple[Message, VersionInfo | None, bool]] = []
        self._shown_generation = 0  # which show_messages a deferred render belongs to
        self._first_left = 0  # messages of the first screen still to render
        self._seeking: int | None = None  # the message a jump waits to show
        self._names: dict[str, str] = {}
        # Tool messages, by the assistant turn whose calls they answer; the turns that
        # continue a reply after tool results; each call's widget, by call id.
        self._attached: dict[int, list[Message]] = {}
        self._continuing: set[int] = set()
        self._call_owner: dict[str, MessageWidget] = {}
        # The turn whose calls may still be answered (a reply runs while it is shown).
        self._open_turn: int | None = None
        self._follow = True
        self._bottom_distance = 0
        self._keep_bottom_distance: int | None = None
        self.coalescer = TextCoalescer(self._deliver, self)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

        self._zoom = 0
        self._base_point_size = self._page.font().pointSizeF()
        for keys, action in (
            (("Ctrl+=", "Ctrl++", QKeySequence.StandardKey.ZoomIn), self.zoom_in),
            (("Ctrl+-", QKeySequence.StandardKey.ZoomOut), self.zoom_out),
            (("Ctrl+0",), self.reset_zoom),
        ):
            for sequence in _distinct_sequences(keys):
                QShortcut(sequence, self, action)

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
        self._live_widgets = []
        self._streaming = None
        self._names = model_names or {}
        self._call_owner = {}
        self._seeking = None
        shown = self._group_tool_results(messages)
        self._open_turn = shown[-1].id if busy and shown else None
        last = len(shown) - 1
        planned = [
            (m, versions.get(m.id), not busy and (m.role == "user" or i == last))
            for i, m in enumerate(shown)
        ]
        self._pending_older = planned
        self._follow = True
        self._shown_generation += 1
        self._first_left = FIRST_BATCH
        self._render_first_screen(self._shown_generation)
        self.empty_label.setVisible(not messages)
        self.scroll_to_bottom()

    def _render_first_screen(self, generation: int) -> None:
        """Renders the newest messages, newest first, for at most FIRST_SCREEN_BUDGET_S,
        and the rest of the first FIRST_BATCH in later turns of the event loop."""
        if generation != self._shown_generation:
            return  # another chat (or this one afresh) is shown by now
        started = time.perf_counter()
        while self._pending_older and self._first_left > 0:
            self._render_older_batch(keep_position=False, count=1)
            self._first_left -= 1
            if time.perf_counter() - started >= FIRST_SCREEN_BUDGET_S:
                break
        if self._pending_older and self._first_left > 0:
            QTimer.singleShot(0, self, partial(self._render_first_screen, generation))

    @property
    def loading_older(self) -> bool:
        return bool(self._pending_older)

    def shown_ids(self) -> list[int]:
        """Every message in the view, rendered or waiting above, oldest first (a tool
        message counts where its block is, after the turn that made the call)."""
        ids: list[int] = []
        for message in [m for m, _v, _a in self._pending_older] + [w.message for w in self.widgets]:
            ids.append(message.id)
            ids.extend(result.id for result in self._attached.get(message.id, ()))
        return ids

    def _group_tool_results(self, messages: list[Message]) -> list[Message]:
        """The messages that get a widget; each tool message is kept for the turn whose
        call it answers (by call id; else the assistant turn before it)."""
        self._attached = {}
        self._continuing = set()
        owner_of_call: dict[str, int] = {}
        owner: int | None = None
        shown: list[Message] = []
        previous: Message | None = None
        for message in messages:
            if message.role == "tool":
                found = owner_of_call.get(message.tool_call_id or "", owner)
                if found is not None:
                    self._attached.setdefault(found, []).append(message)
                else:
                    shown.append(message)  # a result with no turn before it: shown as is
            else:
                if message.role == "assistant":
                    owner = message.id
                    for call in message.tool_calls:
                        owner_of_call[call.id] = message.id
                    if previous is not None and previous.role == "tool":
                        self._continuing.add(message.id)
                shown.append(message)
            previous = message
        return shown

    def add_message(self, message: Message, model_names: dict[str, str] | None = None) -> None:
        """A new message at the bottom (the user's, just sent)."""
        self.empty_label.hide()
        self._settle_live()
        self._names = model_names or self._names
        widget = self._make(message, None, False)
        self._append_to(self._live_layout, widget)
        self._live_widgets.append(widget)

    def begin_reply(
        self,
        message: Message,
        model_names: dict[str, str] | None = None,
        *,
        continues: bool = False,
    ) -> None:
        """The reply's next turn, streaming; ``continues``: it follows tool results."""
        self.coalescer.flush()  # the last round's text belongs to its own turn
        self.empty_label.hide()
        self._names = model_names or self._names
        if continues:
            self._continuing.add(message.id)
        widget = self._make(message, None, False)
        self._append_to(self._live_layout, widget)
        self._live_widgets.append(widget)
        self._streaming = widget

    def append_text(self, text: str) -> None:
        self.coalescer.push(text)

    def resume_reply(self, message_id: int, answer: str, thinking: str) -> None:
        """Streams on into ``message_id``, shown afresh: its text so far, then what comes."""
        widget = self.widget_for(message_id)
        if widget is None:
            return
        widget.show_so_far(answer, thinking)
        self._streaming = widget

    def show_stored_reply(self, message: Message, versions: VersionInfo, *, can_act: bool) -> None:
        """A reply another process writes (not this window's own), as stored now: its
        text so far, or its end."""
        widget = self.widget_for(message.id)
        if widget is None or widget is self._streaming:
            return
        if message.status == "streaming":
            widget.show_stored_progress(message)
            return
        widget.set_versions(versions)
        widget.finish(message, can_regenerate=can_act)
        self.message_shown.emit(widget)

    def append_thinking(self, text: str) -> None:
        """The streaming reply's thinking (shown live above its answer)."""
        if self._streaming is not None:
            self._streaming.append_thinking(text)

    # Tool calls -------------------------------------------------------------------------------

    def add_tool_call(self, call: ToolCall) -> None:
        """A call the streaming turn just made: a running block under it."""
        widget = self._streaming
        if widget is not None:
            widget.add_tool_call(call.id, call.name, call.arguments, call.raw, call.error)
            self._call_owner[call.id] = widget

    def set_tool_waiting(self, call_id: str) -> None:
        """The call waits for the user's say."""
        widget = self._call_owner.get(call_id)
        if widget is not None:
            widget.tool_blocks[call_id].set_waiting()

    def set_tool_result(
        self, call_id: str, outcome: str, text: str, images: tuple[str, ...] = ()
    ) -> None:
        widget = self._call_owner.get(call_id)
        if widget is not None:
            widget.tool_blocks[call_id].set_result(outcome, text, images)

    def finish_round(self, message: Message) -> None:
        """A turn of the reply is over and the model goes on after its calls' results."""
        self.coalescer.flush()
        widget = self.widget_for(message.id)
        if widget is not None:
            widget.finish(message, can_regenerate=False)

    def attach_turns(self, turns: tuple[Message, ...] | list[Message]) -> None:
        """The reply's stored turns, once it is over: each result as stored (its exact
        outcome) in its block, and kept with the turn that made the call."""
        for message in turns:
            if message.role != "tool":
                continue
            widget = self._call_owner.get(message.tool_call_id or "")
            if widget is None:
                continue
            attached = self._attached.setdefault(widget.message.id, [])
            if all(known.id != message.id for known in attached):
                attached.append(message)
            block = widget.tool_blocks.get(message.tool_call_id or "")
            if block is not None:
                block.set_result(message.tool_outcome or "ok", message.content, message.tool_images)

    def set_reply_note(self, message_id: int, note: str | None) -> None:
        """What the user should know beyond the reply, in a line under it."""
        widget = self.widget_for(message_id)
        if widget is not None:
            widget.set_note(note)

    def finish_reply(self, message: Message, versions: VersionInfo) -> None:
        self.coalescer.flush()
        widget = self.widget_for(message.id)
        if widget is not None:
            widget.set_versions(versions)
            widget.finish(message, can_regenerate=True)
            self.message_shown.emit(widget)
        self._streaming = None
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, no other message can be regenerated or edited."""
        last = len(self.widgets) - 1
        for index, widget in enumerate(self.widgets):
            role = widget.message.role
            widget.set_can_act(not busy and (role == "user" or index == last))
        for index, (message, versions, _can_act) in enumerate(self._pending_older):
            self._pending_older[index] = (message, versions, not busy and message.role == "user")

    def set_instructions(self, text: str) -> None:
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        if first_line:
            shown = first_line if len(first_line) <= 120 else first_line[:117] + "…"
            self.instructions_label.setText(
                f"Custom instructions active: <i>{html.escape(shown)}</i>"
            )
        self.instructions_label.setVisible(bool(first_line))

    def set_template_note(self, note: str) -> None:
        """Says, in one line above the chat, how Hearth adapted the model's template."""
        self.template_note_label.setText(note)
        self.template_note_label.setToolTip(note)
        self.template_note_label.setVisible(bool(note))

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self.widgets if w.message.id == message_id), None)

    def scroll_to_message(self, message_id: int) -> None:
        """Shows ``message_id`` (a tool message: the turn whose block shows it). If it is
        among the older messages not rendered yet, they are rendered a batch per turn of
        the event loop, so a jump far back never freezes the window."""
        self._seeking = next(
            (
                owner
                for owner, results in self._attached.items()
                if any(result.id == message_id for result in results)
            ),
            message_id,
        )
        self._follow = False
        self._seek_step()

    def _seek_step(self) -> None:
        target = self._seeking
        if target is None:
            return
        widget = self.widget_for(target)
        if widget is None and any(m.id == target for m, _v, _a in self._pending_older):
            self._render_older_batch(keep_position=False)
            QTimer.singleShot(0, self._seek_step)
            return
        self._seeking = None
        if widget is not None:
            # After the layout has placed the new widgets.
            QTimer.singleShot(0, lambda: self._reveal(target))

    def _reveal(self, message_id: int) -> None:
        widget = self.widget_for(message_id)  # None if another chat is shown by now
        if widget is not None:
            self._follow = False
            self.ensureWidgetVisible(widget, 0, 40)

    # Zoom and width --------------------------------------------------------------------------

    @property
    def zoom_level(self) -> int:
        """Steps from 100%: 0 is the normal size, 1 the next size up, -1 down."""
        return self._zoom

    def zoom_factor(self) -> float:
        return ZOOM_FACTORS[_NORMAL + self._zoom]

    def set_zoom(self, level: int) -> None:
        """Show the conversation at ``level`` (a remembered choice; not announced)."""
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, level))
        font = self._page.font()
        font.setPointSizeF(self._base_point_size * self.zoom_factor())
        self._page.setFont(font)
        self._limit_width()

    def zoom_in(self) -> None:
        self._zoom_to(self._zoom + 1)

    def zoom_out(self) -> None:
        self._zoom_to(self._zoom - 1)

    def reset_zoom(self) -> None:
        self._zoom_to(0)

    def _zoom_to(self, level: int) -> None:
        before = self._zoom
        self.set_zoom(level)
        if self._zoom != before:
            self.zoom_changed.emit(self._zoom)

    def text_width_limit(self) -> int:
        """The widest a message gets: a readable line of the zoomed text."""
        metrics = QFontMetricsF(self._page.font())
        return round(metrics.averageCharWidth() * READABLE_CHARS) + MESSAGE_MARGINS

    def _limit_width(self) -> None:
        side = max(0, (self.viewport().width() - self.text_width_limit()) // 2)
        margins = self._page_layout.contentsMargins()
        if margins.left() != side:
            self._page_layout.setContentsMargins(side, margins.top(), side, margins.bottom())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._limit_width()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = event.angleDelta().y()
            if step:
                self.zoom_in() if step > 0 else self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    # Building ------------------------------------------------------------------------------

    def _make(self, message: Message, versions: VersionInfo | None, can_act: bool) -> MessageWidget:
        author = (
            "You" if message.role == "user" else self._names.get(message.model or "", "Assistant")
        )
        widget = MessageWidget(
            message,
            author=author,
            versions=versions,
            can_regenerate=can_act,
            continues=message.id in self._continuing,
            parent=self._page,
        )
        for call_id in widget.tool_blocks:
            self._call_owner[call_id] = widget
        for result in self._attached.get(message.id, ()):
            block = widget.tool_blocks.get(result.tool_call_id or "")
            if block is None:  # a result whose call the turn does not list
                block = widget.add_tool_call(
                    result.tool_call_id or f"result-{result.id}", result.tool_name or "", {}
                )
            block.set_result(result.tool_outcome or "ok", result.content, result.tool_images)
        if message.id != self._open_turn and message.status != "streaming":
            for block in widget.tool_blocks.values():
                block.end_unanswered()  # the reply ended before it was answered
        widget.regenerate_clicked.connect(self.regenerate_clicked)
        widget.think_longer_clicked.connect(self.think_longer_clicked)
        widget.candidates_requested.connect(self.candidates_requested)
        widget.edit_submitted.connect(self.edit_submitted)
        widget.version_selected.connect(self.version_selected)
        widget.reload_clicked.connect(self.reload_clicked)
        widget.link_requested.connect(self.link_requested)
        self.message_shown.emit(widget)
        return widget

    def _append_to(self, layout: QVBoxLayout, widget: MessageWidget) -> None:
        layout.addWidget(widget)
        self.widgets.append(widget)

    def _settle_live(self) -> None:
        """Moves the last exchange into the history, so the live area holds only the new one."""
        for widget in self._live_widgets:
            self._live_layout.removeWidget(widget)
            self._history_layout.addWidget(widget)
        self._live_widgets = []

    def _render_older_batch(self, keep_position: bool = True, count: int = OLDER_BATCH) -> None:
        batch = self._pending_older[-count:]
        del self._pending_older[-count:]
        if keep_position and not self._follow:
            self._keep_bottom_distance = self._bottom_distance
        for offset, (message, versions, can_act) in enumerate(batch):
            widget = self._make(message, versions, can_act)
            self._history_layout.insertWidget(offset, widget)
            self.widgets.insert(offset, widget)

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
        self._bottom_distance = bar.maximum() - value
        self._follow = self._bottom_distance <= FOLLOW_SLACK
        if self._pending_older and value < LOAD_OLDER_MARGIN and not self._follow:
            self._render_older_batch()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        bar = self.verticalScrollBar()
        if self._follow:
            bar.setValue(maximum)
        elif self._keep_bottom_distance is not None:
            # Older messages were added above what the user is reading: keep it in place.
            bar.setValue(maximum - self._keep_bottom_distance)
            self._keep_bottom_distance = None


def _distinct_sequences(keys: tuple[str | QKeySequence.StandardKey, ...]) -> list[QKeySequence]:
    """Each key sequence once: two shortcuts on one key would cancel each other out."""
    found: dict[str, QKeySequence] = {}
    for key in keys:
        sequences = (
            QKeySequence.keyBindings(key)
            if isinstance(key, QKeySequence.StandardKey)
            else [QKeySequence(key)]
        )
        for sequence in sequences:
            if not sequence.isEmpty():
                found.setdefault(sequence.toString(), sequence)
    return list(found.values())
