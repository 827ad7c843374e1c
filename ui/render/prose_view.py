"""One run of Markdown prose: finished blocks rendered once, plus a live tail.

:class:`ProseView` holds a single document for consecutive prose blocks of a
message (code blocks get their own widgets). Finished blocks are appended at
the end of the document and never touched again; the unfinished tail after
them is cut and re-inserted on each update, so an update costs the size of the
tail, not of the message.

The view is read-only and selectable, never navigates (a click on a link emits
:attr:`ProseView.link_requested`), never loads a resource, and sizes itself to
its content so several can stack in a scroll area.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextList,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from ui.render.safe_markdown import (
    RenderedMarkdown,
    SafeDocument,
    recolor_links,
    render_markdown,
)


class ProseView(QTextBrowser):
    """Rendered Markdown prose with an append-only stable part and a live tail.

    Signals:
        link_requested(QUrl): the user clicked (or keyboard-activated) a link.
    """

    link_requested = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = SafeDocument(self)
        self._document.setUndoRedoEnabled(False)
        self.setDocument(self._document)
        # Links never navigate; the owner decides what a click does.
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.anchorClicked.connect(self.link_requested)

        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Sit on the message's background instead of painting a white box.
        self.viewport().setAutoFillBackground(False)
        self._document.documentLayout().documentSizeChanged.connect(self._fit_height)

        self._stable_end = 0  # document position where the tail starts
        self._stable_end_formats: tuple[QTextBlockFormat, QTextCharFormat] | None = None
        self._next_list_number: int | None = None
        self._tail = ""
        self._fit_height()

    # -- content ---------------------------------------------------------

    def append_stable(self, markdown: str) -> None:
        """Render a finished block once, after the stable part.

        The tail is dropped (the finished block was part of it); set the new
        tail afterwards.
        """
        self._cut_tail()
        self._tail = ""
        rendered = render_markdown(
            markdown, self._link_color(), continue_list_at=self._next_list_number
        )
        self._insert_at_end(rendered)
        self._next_list_number = rendered.next_list_number
        self._stable_end = self._end_position()
        last = self._document.lastBlock()
        self._stable_end_formats = (last.blockFormat(), last.charFormat())

    def set_tail(self, markdown: str) -> None:
        """Replace the unfinished tail (may be empty)."""
        if markdown == self._tail:
            return
        self._cut_tail()
        self._tail = markdown
        if markdown:
            self._insert_tail()

    @property
    def tail(self) -> str:
        """Markdown of the tail as last set."""
        return self._tail

    def plain_text(self) -> str:
        """The rendered text, stable part and tail."""
        return self._document.toPlainText()

    # -- Qt overrides ----------------------------------------------------

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Never load anything named in a reply (images, style sheets, files)."""
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        # The view never scrolls itself: let the enclosing scroll area have it.
        event.ignore()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            recolor_links(self._document, self._link_color())

    # -- internals -------------------------------------------------------

    def _link_color(self) -> Any:
        return self.palette().color(QPalette.ColorRole.Link)

    def _end_position(self) -> int:
        return self._document.characterCount() - 1

    def _insert_tail(self) -> None:
        rendered = render_markdown(
            self._tail, self._link_color(), continue_list_at=self._next_list_number
        )
        self._insert_at_end(rendered)

    def _insert_at_end(self, rendered: RenderedMarkdown) -> None:
        was_empty = self._end_position() == 0
        cursor = QTextCursor(self._document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertFragment(rendered.fragment)
        if was_empty and rendered.added_lead:
            # The lead paragraph merged into the document's initial empty
            # block, which now stands alone at the top: drop it.
            QTextCursor(self._document).deleteChar()

    def _cut_tail(self) -> None:
        if self._stable_end == 0:
            self._document.clear()
            return
        if self._end_position() == self._stable_end:
            return
        cursor = QTextCursor(self._document)
        cursor.setPosition(self._stable_end)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._restore_stable_end_formats()

    def _restore_stable_end_formats(self) -> None:
        # Removing text after an *empty* block (the one after a table or a
        # rule) hands it the removed block's formats; put its own back.
        if self._stable_end_formats is None:
            return
        block_format, char_format = self._stable_end_formats
        last = self._document.lastBlock()
        if last.blockFormat() == block_format and last.charFormat() == char_format:
            return
        index = last.blockFormat().objectIndex()
        if index >= 0 and index != block_format.objectIndex():
            wrong_list = self._document.object(index)
            if isinstance(wrong_list, QTextList):
                wrong_list.remove(last)
        cursor = QTextCursor(last)
        cursor.setBlockFormat(block_format)
        cursor.setBlockCharFormat(char_format)

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        height = math.ceil(self._document.size().height()) + margins.top() + margins.bottom()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)
