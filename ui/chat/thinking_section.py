"""A reply's thinking, shown apart above its answer: a header that folds it open and shut.

While the model thinks, the header reads "Thinking…" and the section is open, so the
thinking streams in where the user can read it. Once the answer begins the header says
how long the model thought ("Thought for 12 s") and the section folds shut, unless the
user opened or closed it meanwhile. Stored replies start folded. A reply without
thinking shows no section at all.

The thinking is plain text (never Markdown: it is a draft, not an answer), dimmed and
selectable. Streamed pieces are gathered and appended at the end of the document at
most once a frame; an append costs what arrived, never a re-render of what is there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor, QWheelEvent
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextEdit, QToolButton, QVBoxLayout, QWidget

# Appends are gathered for at most one frame (about 30 a second, like the answer).
FRAME_MS = 33

THINKING_LABEL = "Thinking…"


def thought_for(thinking_ms: float | None) -> str:
    """The header once the thinking is over: how long it took, in words a person reads."""
    if thinking_ms is None:
        return "Thoughts"
    seconds = thinking_ms / 1000
    if seconds < 1:
        return "Thought for a moment"
    whole = round(seconds)
    if whole < 60:
        return f"Thought for {whole} s"
    minutes, rest = divmod(whole, 60)
    return f"Thought for {minutes} min {rest} s" if rest else f"Thought for {minutes} min"


class ThinkingText(QTextEdit):
    """Read-only, selectable plain text that grows to fit; the chat column scrolls, not it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingText")
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("The model's thinking")
        # Dimmed, with a rule on the left: a draft beside the answer, not part of it.
        self.setStyleSheet(
            "QTextEdit#thinkingText { background: transparent; border: none;"
            " border-left: 2px solid palette(mid); padding-left: 8px;"
            " color: palette(placeholder-text); }"
        )
        self.viewport().setAutoFillBackground(False)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def append_plain(self, text: str) -> None:
        """Adds ``text`` at the end; only the last paragraph is laid out again."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # the chat column scrolls

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        height = math.ceil(self.document().size().height()) + margins.top() + margins.bottom()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)


class ThinkingSection(QWidget):
    """The thinking of one reply.

    Signals:
        expanded_changed(bool): the section opened (True) or folded shut (False).
    """

    expanded_changed = Signal(bool)

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingSection")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._clock = clock
        self.header = QToolButton(self)
        self.header.setObjectName("thinkingHeader")
        self.header.setCheckable(True)
        self.header.setAutoRaise(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.header.setAccessibleName("Thinking")
        # A quiet line of text with an arrow, not a raised button.
        self.header.setStyleSheet(
            "QToolButton#thinkingHeader { border: none; background: transparent;"
            " padding: 2px 0px; color: palette(placeholder-text); }"
            " QToolButton#thinkingHeader:hover { color: palette(text); }"
        )
        self.text_view = ThinkingText(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text_view)

        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._flush)
        self._streaming = False
        self._started_at: float | None = None
        self._measured_ms: float | None = None
        # Once the user opens or closes the section, it stays as they left it.
        self._user_chose = False
        self.header.clicked.connect(self._clicked)
        self._set_expanded(False)
        self.hide()

    # Feeding -----------------------------------------------------------------------------

    def set_stored(self, reasoning: str, thinking_ms: float | None) -> None:
        """A finished reply's thinking: folded shut, the header says how long it took."""
        self._timer.stop()
        self._pending.clear()
        self._streaming = False
        if reasoning != self.text():
            self.text_view.setPlainText(reasoning)
        self.header.setText(thought_for(thinking_ms))
        if not self._user_chose:
            self._set_expanded(False)
        self.setVisible(bool(reasoning))

    def append(self, text: str) -> None:
        """More thinking streamed in: the section opens and reads "Thinking…"."""
        if not text:
            return
        if not self._streaming:
            self._streaming = True
            self._started_at = self._clock()
            self.header.setText(THINKING_LABEL)
            if not self._user_chose:
                self._set_expanded(True)
            self.show()
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start()

    def answer_started(self) -> None:
        """The answer began: the thinking is over; say for how long and fold it shut."""
        if not self._streaming:
            return
        self._flush()
        self._streaming = False
        if self._started_at is not None:
            self._measured_ms = (self._clock() - self._started_at) * 1000
        self.header.setText(thought_for(self._measured_ms))
        if not self._user_chose:
            self._set_expanded(False)

    def finish(self, reasoning: str, thinking_ms: float | None) -> None:
        """The reply ended: show its stored thinking and how long it took."""
        self._flush()
        self.set_stored(reasoning, thinking_ms if thinking_ms is not None else self._measured_ms)

    # Reading -----------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        """The model is thinking now (thinking came in, the answer has not begun)."""
        return self._streaming

    def is_expanded(self) -> bool:
        return self.header.isChecked()

    def text(self) -> str:
        """The thinking shown so far (pieces still waiting for the next frame included)."""
        return self.text_view.toPlainText() + "".join(self._pending)

    def set_expanded(self, expanded: bool) -> None:
        """Opens or folds the section as the user would (it then stays so)."""
        self._user_chose = True
        self._set_expanded(expanded)

    # Internals ---------------------------------------------------------------------------

    def _clicked(self, checked: bool) -> None:
        self._user_chose = True
        self._set_expanded(checked)

    def _set_expanded(self, expanded: bool) -> None:
        changed = expanded != self.text_view.isVisibleTo(self)
        self.header.setChecked(expanded)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.header.setToolTip("Hide the thinking" if expanded else "Show the model's thinking")
        self.text_view.setVisible(expanded)
        if changed:
            self.expanded_changed.emit(expanded)

    def _flush(self) -> None:
        self._timer.stop()
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.text_view.append_plain(text)
