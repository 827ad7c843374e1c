"""Gathers streamed text and hands it on at most once per frame.

A fast model can send hundreds of pieces a second; repainting for each would cost
more than the model. Pieces are joined and delivered on a timer instead.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

# At most about 30 deliveries a second: smooth to the eye, and it leaves most of each
# second to the event loop even when a fast model streams Markdown with code.
FRAME_MS = 33


class TextCoalescer(QObject):
    def __init__(self, deliver: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.flush)
        self.deliveries = 0

    def push(self, text: str) -> None:
        self._pending.append(text)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self.deliveries += 1
        self._deliver(text)
