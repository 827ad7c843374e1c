"""Gathers streamed text and hands it on in short turns, at most 60 a second.

A fast model can send hundreds of pieces a second; repainting for each would cost more
than the model. Pieces are joined and delivered on a timer instead. Text that finishes
several Markdown blocks (each may become a widget) is handed on one block at a time
until a small time budget is spent; the rest follows a 60 Hz frame later. So no turn
keeps the window busy for long, the window repaints at most 60 times a second, and a
backlog drains with one layout and one repaint per frame rather than per block.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

# New text is delivered about 30 times a second: smooth to the eye, and it leaves most
# of each second to the event loop. Only a backlog (below) is worked off faster, at 60.
FRAME_MS = 33
# Rendering time one turn of the event loop may spend on delivered blocks; with the
# layout and repaint that follow, a turn stays well under a 60 Hz frame.
TURN_BUDGET_SECONDS = 0.004
# A backlog is worked off one turn per frame: at most 60 repaints a second, and the
# rest of each frame is left to the event loop (typing, scrolling, clicks).
BACKLOG_FRAME_SECONDS = 1 / 60
# Where a Markdown block can end: a blank line, or a code fence line.
_BLOCK_END = re.compile(r"\n\s*\n|\n(?=```|~~~)|```[^\n]*\n")


def first_block_cut(text: str) -> int:
    """Where to cut ``text`` so it finishes at most one block; len(text) if it can all go."""
    match = _BLOCK_END.search(text)
    if match is None:
        return len(text)
    following = _BLOCK_END.search(text, match.end())
    return match.end() if following is not None else len(text)


class TextCoalescer(QObject):
    """Signals:
    turn_done(int): one turn of deliveries ended (the view changed once); characters.
    """

    turn_done = Signal(int)

    def __init__(self, deliver: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._step)

    @property
    def pending_chars(self) -> int:
        return sum(map(len, self._pending))

    def push(self, text: str) -> None:
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start(FRAME_MS)

    def _step(self) -> None:
        """Deliveries of one finished block each, until the turn's budget is spent."""
        text = "".join(self._pending)
        self._pending.clear()
        started = time.perf_counter()
        deadline = started + TURN_BUDGET_SECONDS
        delivered = 0
        while text:
            cut = first_block_cut(text)
            self._deliver(text[:cut])
            delivered += cut
            text = text[cut:]
            if time.perf_counter() >= deadline:
                break
        if delivered:
            self.turn_done.emit(delivered)
        if text:
            self._pending.insert(0, text)
            left_of_frame = BACKLOG_FRAME_SECONDS - (time.perf_counter() - started)
            self._timer.start(max(0, round(left_of_frame * 1000)))

    def flush(self) -> None:
        """Delivers everything now (the reply ended, or the view changes)."""
        self._timer.stop()
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._deliver(text)
        self.turn_done.emit(len(text))
