"""Documents in the window, as a person uses them: drop a PDF on the chat, watch it
index, ask, see "Searched 1 file · used N passages", click the [3] in the answer and
read the passage in Hearth's own viewer at the right page, highlighted.

The starter model follows a saved output grammar (a real per-model setting), so the
answer it writes, citation included, is the same every time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication

from tests.docs.helpers import HARBOUR_PAGES
from tests.support.pdf_writer import write_pdf
from tests.ui.window.helpers import type_and_send, wait_for_reply
from ui.docs.sources_line import SourcesLine
from ui.render.prose_view import ProseView

# The file is small, so it goes in whole: its three pages are passages [1] to [3].
ANSWER = 'root ::= "Harbour dues are 14 crowns per vessel [3]."'


def drop_files(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    target = widget.viewport() if hasattr(widget, "viewport") else widget
    point = target.rect().center()
    enter = QDragEnterEvent(
        point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier(0),
    )
    QApplication.sendEvent(widget, drop)


def test_drop_a_pdf_ask_and_click_a_citation(qtbot, open_window, tmp_path: Path) -> None:
    window = open_window(temperature=0.0, grammar=ANSWER, max_tokens=40)
    pdf = write_pdf(tmp_path / "harbour.pdf", HARBOUR_PAGES)
    drop_files(window.chat_view, [pdf])
    strip = window.composer.docs_strip
    qtbot.waitUntil(lambda: strip.progress_label.text().startswith("Indexed"), timeout=30_000)
    assert "1 of 1 files · 3 pages" in strip.progress_label.text()
    assert strip.button.text() == "Documents (1 on)"

    type_and_send(qtbot, window, "How much are the harbour dues?")
    reply = wait_for_reply(qtbot, window)
    qtbot.waitUntil(lambda: reply.findChild(SourcesLine) is not None, timeout=5_000)
    line = reply.findChild(SourcesLine)
    assert line.toggle.text() == "Searched 1 file · used 3 passages"
    qtbot.waitUntil(line.toggle.isVisible)  # laid out: a click before that is lost
    qtbot.mouseClick(line.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(line.details.isVisible)
    assert "harbour.pdf, page 3" in line.details.text()

    # Click the [3] in the answer.
    prose = next(view for view in reply.body.findChildren(ProseView) if "[3]" in view.plain_text())
    found = prose.document().find("[3]")
    assert not found.isNull()
    cursor = QTextCursor(prose.document())
    cursor.setPosition(found.selectionStart() + 1)
    point = prose.cursorRect(cursor).center()
    qtbot.mouseClick(prose.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))

    qtbot.waitUntil(lambda: window.docs.viewer is not None, timeout=5_000)
    viewer = window.docs.viewer
    qtbot.waitUntil(lambda: "14 crowns" in viewer.highlighted, timeout=10_000)
    assert viewer.isVisible()
    assert "harbour.pdf, page 3" in viewer.title.text()
    assert "Accounts" in viewer.text.toPlainText()  # the whole page is shown
    assert "Gull Point" not in viewer.text.toPlainText()  # and not another page
