"""The in-app viewer a citation opens: the passage's page or file, the passage marked.

Plain text only (nothing in a document can load or run anything), read on the
background runner; nothing opens in a browser.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QDialog, QLabel, QTextBrowser, QTextEdit, QVBoxLayout, QWidget

from app.docs.places import PlaceText
from app.docs.sources import Source

HIGHLIGHT = QColor(255, 230, 120)


class PassageViewer(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Passage")
        self.resize(720, 560)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setObjectName("status")
        self.note.hide()
        self.text = QTextBrowser(self)
        self.text.setOpenLinks(False)
        self.text.setOpenExternalLinks(False)
        self.text.setAccessibleName("Passage text")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        self.source: Source | None = None
        self.highlighted = ""

    def show_loading(self, source: Source) -> None:
        self.source = source
        self.title.setText(f"[{source.number}] {source.place}")
        self.setWindowTitle(source.place)
        self.text.setPlainText("Reading…")
        self.note.hide()

    def show_place(self, place: PlaceText) -> None:
        self.text.setPlainText(place.text)
        self.note.setText(place.note)
        self.note.setVisible(bool(place.note))
        document = self.text.document()
        first = document.findBlockByNumber(max(0, place.line_start - 1))
        last = document.findBlockByNumber(max(0, place.line_end - 1))
        if not first.isValid():
            return
        if not last.isValid():
            last = document.lastBlock()
        cursor = QTextCursor(first)
        cursor.setPosition(
            last.position() + max(0, last.length() - 1), QTextCursor.MoveMode.KeepAnchor
        )
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(HIGHLIGHT)
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.format = fmt  # type: ignore[attr-defined]
        selection.cursor = cursor  # type: ignore[attr-defined]
        self.text.setExtraSelections([selection])
        self.highlighted = cursor.selectedText().replace("\u2029", "\n")
        end = QTextCursor(last)
        self.text.setTextCursor(end)
        self.text.ensureCursorVisible()
        self.text.setTextCursor(QTextCursor(first))
        self.text.ensureCursorVisible()
