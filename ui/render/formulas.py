"""Formulas in a Qt text document: placed as images, re-typeset, read back as LaTeX.

:func:`place_formulas` swaps the placeholders :mod:`ui.render.math_spans` left in a
parsed reply for typeset images (or, where a formula cannot be typeset, for its
source). Each image character keeps its LaTeX in its format, so copying gives the
LaTeX back (:func:`text_of`), and :func:`retypeset` can draw every formula of a
document again at a new size or colour (zoom, light or dark).

Images live in the document as named resources (``hearth-math:<n>``), made here in
memory: nothing is read from disk or fetched.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QFontInfo,
    QFontMetricsF,
    QImage,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
)
from PySide6.QtWidgets import QWidget

from ui.render.math_image import FormulaImage, MathLook, Pending, render_formula
from ui.render.math_spans import PLACEHOLDER, Formula

# Properties of a formula's image character.
TEX_PROPERTY = QTextFormat.Property.UserProperty + 1
SOURCE_PROPERTY = QTextFormat.Property.UserProperty + 2
DISPLAY_PROPERTY = QTextFormat.Property.UserProperty + 3
RESOURCE_SCHEME = "hearth-math"
OBJECT_REPLACEMENT = "\ufffc"
# Space above and below a display formula, in logical pixels.
DISPLAY_MARGIN = 6.0

_names: dict[tuple[str, bool, MathLook], str] = {}
_counter = itertools.count(1)

Resources = dict[str, QImage]


def math_look(widget: QWidget) -> MathLook:
    """How formulas in ``widget`` should look: its font's size, its text colour."""
    font = widget.font()
    metrics = QFontMetricsF(font)
    return MathLook(
        pixel_size=float(QFontInfo(font).pixelSize()),
        x_height=metrics.xHeight(),
        descent=metrics.descent(),
        rgba=widget.palette().color(QPalette.ColorRole.Text).rgba(),
        scale=widget.devicePixelRatioF(),
    )


def _resource_name(tex: str, display: bool, look: MathLook) -> str:
    key = (tex, display, look)
    name = _names.get(key)
    if name is None:
        name = _names[key] = f"{RESOURCE_SCHEME}:{next(_counter)}"
    return name


def _image_format(formula_tex: str, source: str, display: bool, name: str, image: FormulaImage):
    fmt = QTextImageFormat()
    fmt.setName(name)
    fmt.setWidth(image.width)
    fmt.setHeight(image.height)
    fmt.setVerticalAlignment(
        QTextCharFormat.VerticalAlignment.AlignBaseline
        if image.on_baseline
        else QTextCharFormat.VerticalAlignment.AlignMiddle
    )
    fmt.setProperty(TEX_PROPERTY, formula_tex)
    fmt.setProperty(SOURCE_PROPERTY, source)
    fmt.setProperty(DISPLAY_PROPERTY, display)
    return fmt


def _utf16_position(block: QTextBlock, index: int) -> int:
    """Document position of the character at Python index ``index`` of ``block``."""
    text = block.text()[:index]
    return block.position() + index + sum(1 for ch in text if ord(ch) >= 0x10000)


def place_formulas(
    document: QTextDocument, formulas: Sequence[Formula], look: MathLook, *, wait: bool = True
) -> tuple[Resources, bool]:
    """Replace the placeholders in ``document``: (the images it now names, whether a
    formula is still being typeset and shows its source for now (``wait=False``))."""
    found: list[tuple[int, int, Formula]] = []
    block = document.begin()
    while block.isValid():
        text = block.text()
        if "\ue000" in text:
            for match in PLACEHOLDER.finditer(text):
                index = int(match.group(1))
                if index < len(formulas):
                    start = _utf16_position(block, match.start())
                    found.append((start, len(match.group(0)), formulas[index]))
        block = block.next()
    resources: Resources = {}
    pending = False
    cursor = QTextCursor(document)
    for start, length, formula in reversed(found):
        cursor.setPosition(start)
        cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
        image = render_formula(formula.tex, formula.display, look, wait=wait)
        if image is None or isinstance(image, Pending):
            pending = pending or isinstance(image, Pending)
            cursor.insertText(formula.source, cursor.charFormat())
            continue
        name = _resource_name(formula.tex, formula.display, look)
        resources[name] = image.image
        cursor.insertText(
            OBJECT_REPLACEMENT,
            _image_format(formula.tex, formula.source, formula.display, name, image),
        )
        if formula.display:
            _center_if_alone(cursor.block())
    return resources, pending


def _center_if_alone(block: QTextBlock) -> None:
    """A display formula that is a paragraph of its own is centred, with some air."""
    if block.text() != OBJECT_REPLACEMENT or block.textList() is not None:
        return
    fmt = QTextBlockFormat()
    fmt.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    fmt.setTopMargin(DISPLAY_MARGIN)
    fmt.setBottomMargin(DISPLAY_MARGIN)
    QTextCursor(block).mergeBlockFormat(fmt)


def add_resources(document: QTextDocument, resources: Resources) -> None:
    for name, image in resources.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)


def _formula_format(fmt: QTextFormat) -> QTextImageFormat | None:
    if not fmt.isImageFormat() or not fmt.hasProperty(TEX_PROPERTY):
        return None
    return fmt.toImageFormat()


def retypeset(document: QTextDocument, look: MathLook) -> int:
    """Draw every formula in ``document`` again for ``look``; returns how many."""
    spots: list[tuple[int, QTextImageFormat]] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = _formula_format(fragment.charFormat())
            if fmt is not None:
                spots.extend((fragment.position() + n, fmt) for n in range(fragment.length()))
            it += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, fmt in spots:
        tex = str(fmt.property(TEX_PROPERTY))
        display = bool(fmt.property(DISPLAY_PROPERTY))
        image = render_formula(tex, display, look)
        if not isinstance(image, FormulaImage):
            continue
        name = _resource_name(tex, display, look)
        add_resources(document, {name: image.image})
        new = _image_format(tex, str(fmt.property(SOURCE_PROPERTY)), display, name, image)
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(new)
    return len(spots)


def text_of(document: QTextDocument, start: int = 0, end: int | None = None) -> str:
    """The plain text of ``document`` (or of [start, end)), formulas as their LaTeX and
    table rows as lines of tab-separated cells."""
    last = document.characterCount() - 1 if end is None else end
    parts: list[str] = []
    block = document.findBlock(start)
    first = True
    previous_cell: tuple[int, int, int] | None = None  # (table, row, column)
    while block.isValid() and block.position() <= last:
        cell = _cell_of(block)
        if not first:
            # Cells of one table row are separated by tabs, everything else by lines.
            same_row = (
                cell is not None
                and previous_cell is not None
                and cell[:2] == previous_cell[:2]
                and cell[2] > previous_cell[2]
            )
            parts.append("\t" if same_row else "\n")
        first = False
        previous_cell = cell
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            begin = max(start, fragment.position())
            stop = min(last, fragment.position() + fragment.length())
            if begin < stop:
                fmt = _formula_format(fragment.charFormat())
                if fmt is not None:
                    parts.append(str(fmt.property(SOURCE_PROPERTY)) * (stop - begin))
                else:
                    offset = begin - fragment.position()
                    parts.append(_utf16_slice(fragment.text(), offset, stop - begin))
            it += 1
        block = block.next()
    return "".join(parts).replace("\u2028", "\n").replace("\u00a0", " ")


def _cell_of(block: QTextBlock) -> tuple[int, int, int] | None:
    """(table, row, column) of the table cell ``block`` is in, or None."""
    table = QTextCursor(block).currentTable()
    if table is None:
        return None
    cell = table.cellAt(block.position())
    return (table.firstPosition(), cell.row(), cell.column())


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """``length`` UTF-16 units of ``text`` from unit ``offset``."""
    if text.isascii():
        return text[offset : offset + length]
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="ignore")
