"""Gathers streamed text and hands it on at most ~30 times a second, in small steps.

A fast model can send hundreds of pieces a second; repainting for each would cost more
than the model. Pieces are joined and delivered on a timer instead. A delivery that
would finish several Markdown blocks at once (each becoming a widget) is cut after the
first block, and the rest follows on the next turn of the event loop, so no single
delivery keeps the window busy for long.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

# At most about 30 deliveries a second: smooth to the eye, and it leaves most of each
# second to the event loop even when a fast model streams Markdown with code.
FRAME_MS = 33
# Past this much waiting text the view catches up in one delivery: a screen that lags
# far behind the model is worse than one slightly slower frame.
CATCH_UP_CHARS = 6000
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
    def __init__(self, deliver: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._step)
        self.deliveries = 0

    @property
    def pending_chars(self) -> int:
        return sum(map(len, self._pending))

    def push(self, text: str) -> None:
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start(FRAME_MS)

    def _step(self) -> None:
        """One delivery of at most one finished block; the rest on the next turn."""
        text = "".join(self._pending)
        self._pending.clear()
        if not text:
            return
        cut = len(text) if len(text) > CATCH_UP_CHARS else first_block_cut(text)
        if cut < len(text):
            self._pending.append(text[cut:])
            self._timer.start(0)
        self.deliveries += 1
        self._deliver(text[:cut])

    def flush(self) -> None:
        """Delivers everything now (the reply ended, or the view changes)."""
        self._timer.stop()
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self.deliveries += 1
        self._deliver(text)
