"""One side of the arena: its label (A or B, the name once revealed), its answers as
they stream, and a line for what it is doing (loading, writing) and its figures."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGroupBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

# Streamed text is shown at most this often (the whole side is re-rendered).
_REFRESH_MS = 60


class SidePanel(QGroupBox):
    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(side.upper(), parent)
        self.side = side
        self.setObjectName(f"arenaSide{side.upper()}")
        layout = QVBoxLayout(self)
        self.answer_view = QTextBrowser(self)
        self.answer_view.setOpenExternalLinks(False)
        self.answer_view.setAccessibleName(f"Answer {side.upper()}")
        layout.addWidget(self.answer_view, 1)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("stats")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status_label)
        self._turns: list[tuple[str, str]] = []  # (prompt, answer so far)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self._render)

    def clear(self) -> None:
        self._turns = []
        self.setTitle(self.side.upper())
        self.status_label.setText("")
        self._render()

    def begin_turn(self, prompt: str) -> None:
        self._turns.append((prompt, ""))
        self.status_label.setText("Waiting for its turn…")
        self._render()

    def append(self, text: str) -> None:
        if not self._turns:
            return
        prompt, answer = self._turns[-1]
        self._turns[-1] = (prompt, answer + text)
        if not self._timer.isActive():
            self._timer.start()

    def set_answer(self, text: str) -> None:
        if self._turns:
            self._turns[-1] = (self._turns[-1][0], text)
        self._render()

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def reveal(self, name: str) -> None:
        self.setTitle(f"{self.side.upper()}: {name}")

    def answer_text(self) -> str:
        return self._turns[-1][1] if self._turns else ""

    def _render(self) -> None:
        parts = []
        for prompt, answer in self._turns:
            parts.append(f"<p><b>You:</b> {html.escape(prompt)}</p>")
            body = html.escape(answer).replace("\n", "<br>") if answer else "<i>…</i>"
            parts.append(f"<p>{body}</p><hr>")
        self.answer_view.setHtml("".join(parts))
        bar = self.answer_view.verticalScrollBar()
        bar.setValue(bar.maximum())
