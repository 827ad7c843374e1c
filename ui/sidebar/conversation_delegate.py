"""Paints a conversation row: the title on top, "model · when" below, both elided.

Colours come from the palette (selected rows use the highlight colours), so light and
dark themes both read well. The inline rename editor sits on the title line.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.sidebar.conversation_model import ConversationRole

_PADDING_X = 10
_PADDING_Y = 6
_LINE_GAP = 2

AnyIndex = QModelIndex | QPersistentModelIndex


def _subtitle_font(font: QFont) -> QFont:
    smaller = QFont(font)
    size = font.pointSizeF()
    if size > 0:
        smaller.setPointSizeF(max(size * 0.88, 7.0))
    return smaller


class ConversationDelegate(QStyledItemDelegate):
    """Two-line rows for :class:`~ui.sidebar.conversation_model.ConversationListModel`."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        title_height = QFontMetrics(option.font).height()
        subtitle_height = QFontMetrics(_subtitle_font(option.font)).height()
        height = _PADDING_Y * 2 + title_height + _LINE_GAP + subtitle_height
        return QSize(200, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        # Let the style draw the background, selection and focus; we draw the text.
        opt.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        title_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        subtitle_color = (
            palette.color(QPalette.ColorRole.HighlightedText)
            if selected
            else palette.color(QPalette.ColorRole.PlaceholderText)
        )
        title_rect = self._title_rect(option)
        subtitle_font = _subtitle_font(option.font)
        subtitle_rect = QRect(
            title_rect.left(),
            title_rect.bottom() + 1 + _LINE_GAP,
            title_rect.width(),
            QFontMetrics(subtitle_font).height(),
        )
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        subtitle = str(index.data(ConversationRole.SUBTITLE) or "")

        painter.save()
        painter.setFont(option.font)
        painter.setPen(title_color)
        elided_title = QFontMetrics(option.font).elidedText(
            title, Qt.TextElideMode.ElideRight, title_rect.width()
        )
        painter.drawText(
            title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided_title
        )
        painter.setFont(subtitle_font)
        painter.setPen(subtitle_color)
        elided_subtitle = QFontMetrics(subtitle_font).elidedText(
            subtitle, Qt.TextElideMode.ElideRight, subtitle_rect.width()
        )
        painter.drawText(
            subtitle_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            elided_subtitle,
        )
        painter.restore()

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        # The rename box covers the title line only, so the model and time stay visible.
        rect = self._title_rect(option)
        editor.setGeometry(rect.adjusted(-3, -2, 3, 2))

    @staticmethod
    def _title_rect(option: QStyleOptionViewItem) -> QRect:
        rect: QRect = option.rect
        height = QFontMetrics(option.font).height()
        return QRect(
            rect.left() + _PADDING_X,
            rect.top() + _PADDING_Y,
            max(rect.width() - 2 * _PADDING_X, 0),
            height,
        )
