"""The line under an answer that used documents: "Searched 3 files · used 5 passages".

Clicking it shows the passages, numbered as the reply cites them, with where each is
from, how it was found and its score; each place opens the passage in the viewer.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QToolButton, QVBoxLayout, QWidget

from app.docs.sources import QuestionSources

SNIPPET = 160


def citation_url(question_id: int, number: int) -> QUrl:
    return QUrl(f"hearth-cite:{question_id}/{number}")


def parse_citation(url: QUrl) -> tuple[int, int] | None:
    """(question id, passage number) of a citation link, else None."""
    if url.scheme() != "hearth-cite":
        return None
    parts = url.path().split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


class SourcesLine(QWidget):
    """Signal: ``citation_clicked(QUrl)``."""

    citation_clicked = Signal(QUrl)

    def __init__(self, question_id: int, sources: QuestionSources, parent: QWidget | None = None):
        super().__init__(parent)
        self.question_id = question_id
        self.sources = sources
        self.toggle = QToolButton(self)
        self.toggle.setText(sources.summary)
        self.toggle.setAccessibleName(sources.summary)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details = QLabel(self)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setOpenExternalLinks(False)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.details.setText(self._details_html())
        self.details.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(self.details)
        self.toggle.toggled.connect(self._toggled)
        self.details.linkActivated.connect(lambda link: self.citation_clicked.emit(QUrl(link)))

    def _toggled(self, on: bool) -> None:
        self.details.setVisible(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _details_html(self) -> str:
        rows = []
        for source in self.sources.sources:
            url = citation_url(self.question_id, source.number).toString()
            snippet = " ".join(source.text.split())
            if len(snippet) > SNIPPET:
                snippet = snippet[: SNIPPET - 1] + "…"
            rows.append(
                f'<p>[{source.number}] <a href="{html.escape(url)}">'
                f"{html.escape(source.place)}</a>"
                f" <small>({html.escape(source.how)} {source.score:.3f})</small><br>"
                f"<small>{html.escape(snippet)}</small></p>"
            )
        return "".join(rows) or "<p>No passage matched the question.</p>"
