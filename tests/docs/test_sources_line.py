"""The line under an answer: its summary, and passages shown as text, never as markup
(a document's image or link tricks load nothing)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.docs.sources import QuestionSources, Source
from ui.docs.sources_line import SourcesLine, citation_url, parse_citation

TRICK = 'See ![x](http://evil.example/p.png) and <img src="http://evil.example/q.png"> now.'


def test_summary_expands_to_escaped_passages(qtbot) -> None:
    kept = QuestionSources(
        3,
        (
            Source(1, "/docs/report.pdf", 3, 1, 4, 2.5, "bm25", "Harbour dues rose."),
            Source(2, "/docs/notes.md", 0, 7, 9, 1.25, "bm25", TRICK),
        ),
    )
    line = SourcesLine(42, kept)
    qtbot.addWidget(line)
    line.show()
    assert line.toggle.text() == "Searched 3 files · used 2 passages"
    assert not line.details.isVisible()
    qtbot.mouseClick(line.toggle, Qt.MouseButton.LeftButton)
    assert line.details.isVisible()
    shown = line.details.text()
    assert "report.pdf, page 3" in shown and "notes.md, lines 7-9" in shown
    assert "&lt;img" in shown and "<img" not in shown
    assert 'href="hearth-cite:42/2"' in shown


def test_citation_urls_round_trip() -> None:
    assert parse_citation(citation_url(12, 3)) == (12, 3)
    assert parse_citation(citation_url(12, 3).__class__("https://example.com/12/3")) is None
