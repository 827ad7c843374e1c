"""Paints a search hit as rich text (title, then the snippet with matched words in bold).

The HTML comes from :func:`ui.sidebar.search_results.hit_html`, which escapes the message
text. Text colour follows the palette, including the highlight colours on selected rows.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPalette,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QAbstractScrollArea, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.sidebar.search_results import SearchRole

_PADDING_X = 10
_PADDING_Y = 6
_MAX_LINES_HEIGHT = 4  # title + up to three lines of snippet

AnyIndex = QModelIndex | QPersistentModelIndex


class SearchHitDelegate(QStyledItemDelegate):
    """Rich-text rows for :class:`~ui.sidebar.search_results.SearchResultsModel`."""

    def _document(self, option: QStyleOptionViewItem, index: AnyIndex) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        text_option = QTextOption()
        text_option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        document.setDefaultTextOption(text_option)
        document.setDocumentMargin(0)
        document.setHtml(str(index.data(SearchRole.HTML) or ""))
        # sizeHint gets no item rectangle; rows are as wide as the view's viewport.
        widget = option.widget
        width = widget.viewport().width() if isinstance(widget, QAbstractScrollArea) else 240
        document.setTextWidth(max(width - 2 * _PADDING_X, 40))
        return document

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        document = self._document(option, index)
        line = option.fontMetrics.lineSpacing()
        height = min(int(document.size().height()), line * _MAX_LINES_HEIGHT)
        return QSize(200, height + 2 * _PADDING_Y)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = option.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(
            QPalette.ColorRole.Text,
            palette.color(
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            ),
        )
        document = self._document(option, index)
        rect = option.rect
        painter.save()
        painter.translate(rect.left() + _PADDING_X, rect.top() + _PADDING_Y)
        # Long snippets are cut at the row's height rather than spilling into the next row.
        painter.setClipRect(0, 0, rect.width() - 2 * _PADDING_X, rect.height() - 2 * _PADDING_Y)
        document.documentLayout().draw(painter, context)
        painter.restore()
