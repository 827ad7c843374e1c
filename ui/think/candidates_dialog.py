"""The candidates a think-longer run sampled, how one was chosen and why."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.store.think_runs import ThinkRun

_METHODS = {
    "vote": "by majority vote",
    "judge": "by the model, judging them",
    "first": "as the first, since the model named none when judging",
    "single": "as the only one that finished",
    "effort": "by asking again with more thinking",
}


class CandidatesDialog(QDialog):
    def __init__(self, run: ThinkRun, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Think longer: the candidates")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        how = _METHODS.get(run.method, "")
        summary = f"{len(run.candidates)} candidates"
        if run.chosen is not None:
            summary += f"; candidate {run.chosen} was chosen {how}"
        elif run.method == "effort":
            summary = f"Chosen {how}"
        self.summary_label = QLabel(f"<b>{html.escape(summary)}</b>", self)
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.reason_label = QLabel(self)
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label.setWordWrap(True)
        self.reason_label.setText(f"Why: {run.reason}" if run.reason else "")
        layout.addWidget(self.reason_label)
        self.tabs = QTabWidget(self)
        for candidate in run.candidates:
            page = QTextBrowser(self.tabs)
            page.setOpenExternalLinks(False)
            figures = [f"temperature {candidate.temperature:.2f}"]
            if candidate.completion_tokens:
                figures.append(f"{candidate.completion_tokens} tokens")
            if candidate.prompt_eval_tokens is not None:
                count = candidate.prompt_eval_tokens
                figures.append(f"{count} prompt token{'' if count == 1 else 's'} evaluated")
            if candidate.status != "complete":
                figures.append(candidate.status.replace("_", " "))
            page.setMarkdown(f"*{' · '.join(figures)}*\n\n{candidate.content}")
            label = f"{candidate.position}" + (" ✓" if candidate.position == run.chosen else "")
            self.tabs.addTab(page, label)
        if run.candidates:
            self.tabs.setCurrentIndex(max(0, (run.chosen or 1) - 1))
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
