"""Tables in a reply, as a good Markdown viewer draws them.

Qt's Markdown importer makes plain tables; :func:`style_tables` gives each one thin
borders in the palette's mid colour, collapsed into single lines, room in the cells,
and a shaded header row. Colours come from the palette, so light and dark both read
well; call it again after a palette change.

A table wider than the text column keeps its width, and the prose view around it
scrolls sideways (:class:`~ui.render.prose_view.ProseView`).
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtGui import (
    QBrush,
    QColor,
    QPalette,
    QTextDocument,
    QTextFrame,
    QTextFrameFormat,
    QTextTable,
)

CELL_PADDING = 5.0
BORDER_WIDTH = 1.0


def tables_in(document: QTextDocument) -> Iterator[QTextTable]:
    """Every table of ``document``, nested ones included, in document order."""
    pending: list[QTextFrame] = [document.rootFrame()]
    while pending:
        frame = pending.pop(0)
        children = frame.childFrames()
        for child in children:
            if isinstance(child, QTextTable):
                yield child
        pending[:0] = children


def header_shade(palette: QPalette) -> QColor:
    """The header row's background: the base colour moved 8% towards the text colour."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    mix = 0.08
    return QColor.fromRgbF(
        base.redF() + (text.redF() - base.redF()) * mix,
        base.greenF() + (text.greenF() - base.greenF()) * mix,
        base.blueF() + (text.blueF() - base.blueF()) * mix,
    )


def border_color(palette: QPalette) -> QColor:
    """The lines between cells: the base colour moved 30% towards the text colour."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    mix = 0.3
    return QColor.fromRgbF(
        base.redF() + (text.redF() - base.redF()) * mix,
        base.greenF() + (text.greenF() - base.greenF()) * mix,
        base.blueF() + (text.blueF() - base.blueF()) * mix,
    )


def style_tables(document: QTextDocument, palette: QPalette) -> int:
    """Borders, padding and header shading for every table; returns how many."""
    count = 0
    shade = QBrush(header_shade(palette))
    lines = QBrush(border_color(palette))
    for table in tables_in(document):
        count += 1
        fmt = table.format()
        fmt.setBorder(BORDER_WIDTH)
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        fmt.setBorderBrush(lines)
        fmt.setBorderCollapse(True)
        fmt.setCellSpacing(0)
        fmt.setCellPadding(CELL_PADDING)
        fmt.setHeaderRowCount(1)
        table.setFormat(fmt)
        for column in range(table.columns()):
            cell = table.cellAt(0, column)
            cell_format = cell.format().toTableCellFormat()
            cell_format.setBackground(shade)
            cell.setFormat(cell_format)
    return count
