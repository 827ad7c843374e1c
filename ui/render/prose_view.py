"""One run of Markdown prose: finished blocks rendered once, plus a live tail.

:class:`ProseView` holds a single document for consecutive prose blocks of a
message (code blocks get their own widgets). Finished blocks are appended at
the end of the document and never touched again; the unfinished tail after
them is cut and re-inserted on each update, so an update costs the size of the
tail, not of the message.

The view is read-only and selectable, never navigates (a click on a link emits
:attr:`ProseView.link_requested`), never loads a resource, and sizes itself to
its content so several can stack in a scroll area. A table wider than the column
scrolls sideways. Formulas are typeset to the view's font and text colour, and
again when either changes (zoom, light or dark); copying text gives their LaTeX.
Block quotes get a bar down their left side.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QPainter,
    QPaintEvent,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
    QTextList,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from ui.render.formulas import add_resources, math_look, retypeset, text_of
from ui.render.math_image import typesetter
from ui.render.safe_markdown import (
    RenderedMarkdown,
    SafeDocument,
    recolor_links,
    render_markdown,
)
from ui.render.tables import style_tables

# The bar beside a block quote: width and gap to the text, logical pixels.
QUOTE_BAR_WIDTH = 3.0
QUOTE_BAR_GAP = 10.0


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
        # A table wider than the column scrolls sideways rather than being cut off.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Sit on the message's background instead of painting a white box.
        self.viewport().setAutoFillBackground(False)
        self._document.documentLayout().documentSizeChanged.connect(self._fit_height)
        self.horizontalScrollBar().rangeChanged.connect(self._fit_height)

        self._stable_end = 0  # document position where the tail starts
        self._stable_end_formats: tuple[QTextBlockFormat, QTextCharFormat] | None = None
        self._next_list_number: int | None = None
        self._tail = ""
        # The tail shows a formula's source while a background thread typesets it.
        self._tail_waits_for_formula = False
        self._following_typesetter = False
        # Whether the stable part or the tail may hold a block quote (no need to look
        # for quote bars to paint otherwise).
        self._stable_quotes = False
        self._tail_quotes = False
        self._fit_height()

    # -- content ---------------------------------------------------------

    def append_stable(self, markdown: str) -> None:
        """Render a finished block once, after the stable part.

        The tail is dropped (the finished block was part of it); set the new
        tail afterwards.
        """
        self._cut_tail()
        self._tail = ""
        self._tail_waits_for_formula = False
        self._tail_quotes = False
        self._stable_quotes = self._stable_quotes or ">" in markdown
        rendered = self._render(markdown)
        self._insert_at_end(rendered)
        self._next_list_number = rendered.next_list_number
        self._stable_end = self._end_position()
        last = self._document.lastBlock()
        self._stable_end_formats = (last.blockFormat(), last.charFormat())

    def set_tail(self, markdown: str, *, wait_for_formulas: bool = True) -> None:
        """Replace the unfinished tail (may be empty).

        A streaming tail passes ``wait_for_formulas=False``: a formula that closed but
        is not typeset yet shows its source, and the tail is rendered again when the
        background typesetter has it.
        """
        if markdown == self._tail and not self._tail_waits_for_formula:
            return
        self._cut_tail()
        self._tail = markdown
        self._tail_waits_for_formula = False
        self._tail_quotes = ">" in markdown
        if markdown:
            self._insert_tail(wait_for_formulas)

    @property
    def tail(self) -> str:
        """Markdown of the tail as last set."""
        return self._tail

    def plain_text(self) -> str:
        """The rendered text, stable part and tail; formulas as their LaTeX."""
        return text_of(self._document)

    # -- Qt overrides ----------------------------------------------------

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Never load anything named in a reply (images, style sheets, files)."""
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Sideways is ours (a wide table); up and down belong to the chat's scroll area.
        if event.angleDelta().x() != 0 and self.horizontalScrollBar().maximum() > 0:
            super().wheelEvent(event)
        else:
            event.ignore()

    def createMimeDataFromSelection(self) -> QMimeData:
        """Copy gives plain text, with each formula as the LaTeX it was written in."""
        cursor = self.textCursor()
        data = QMimeData()
        data.setText(text_of(self._document, cursor.selectionStart(), cursor.selectionEnd()))
        return data

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._stable_quotes or self._tail_quotes:
            self._paint_quote_bars(event.rect())

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            recolor_links(self._document, self._link_color())
            style_tables(self._document, self.palette())
            retypeset(self._document, math_look(self))
        elif event.type() == QEvent.Type.FontChange:
            retypeset(self._document, math_look(self))

    # -- internals -------------------------------------------------------

    def _link_color(self) -> Any:
        return self.palette().color(QPalette.ColorRole.Link)

    def _end_position(self) -> int:
        return self._document.characterCount() - 1

    def _render(self, markdown: str, *, wait_for_formulas: bool = True) -> RenderedMarkdown:
        return render_markdown(
            markdown,
            self.palette(),
            continue_list_at=self._next_list_number,
            math=math_look(self),
            wait_for_formulas=wait_for_formulas,
        )

    def _insert_tail(self, wait_for_formulas: bool) -> None:
        rendered = self._render(self._tail, wait_for_formulas=wait_for_formulas)
        self._insert_at_end(rendered)
        if rendered.formulas_pending:
            self._tail_waits_for_formula = True
            if not self._following_typesetter:
                self._following_typesetter = True
                typesetter().ready.connect(self._formula_typeset)

    def _formula_typeset(self) -> None:
        """A formula was typeset in the background: show the tail's once all are done
        (while a reply streams fast, each new piece of text shows those ready)."""
        if self._tail_waits_for_formula and not typesetter().busy:
            self.set_tail(self._tail, wait_for_formulas=False)

    def _insert_at_end(self, rendered: RenderedMarkdown) -> None:
        add_resources(self._document, rendered.images)
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
        bar = self.horizontalScrollBar()
        if bar.maximum() > 0:
            height += bar.sizeHint().height()
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def _paint_quote_bars(self, area: Any) -> None:
        """A bar down the left of each block quote line in ``area`` (viewport pixels)."""
        layout = self._document.documentLayout()
        offset = QPointF(-self.horizontalScrollBar().value(), 0)
        top = layout.hitTest(QPointF(0, area.top()), Qt.HitTestAccuracy.FuzzyHit)
        block = self._document.findBlock(max(0, top))
        painter: QPainter | None = None
        while block.isValid():
            rect = layout.blockBoundingRect(block).translated(offset)
            if rect.top() > area.bottom():
                break
            level = block.blockFormat().intProperty(QTextFormat.Property.BlockQuoteLevel)
            if level > 0:
                if painter is None:
                    painter = QPainter(self.viewport())
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(self.palette().color(QPalette.ColorRole.Mid))
                indent = block.blockFormat().leftMargin()
                step = indent / level
                for depth in range(level):
                    x = rect.left() + step * depth + step - QUOTE_BAR_GAP - QUOTE_BAR_WIDTH
                    painter.drawRect(QRectF(x, rect.top(), QUOTE_BAR_WIDTH, rect.height()))
            block = block.next()
        if painter is not None:
            painter.end()
