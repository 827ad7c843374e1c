"""Turn untrusted Markdown into a Qt text fragment that loads nothing.

Model output is untrusted. This module is the one place Markdown is parsed:

- GitHub-flavoured Markdown through Qt's md4c importer with raw HTML off, so
  ``<b>`` or ``<img>`` in a reply stay literal text;
- every image becomes a text link ("Image: alt (address)") *before* the text is
  ever laid out, because laying out an image makes Qt read it (through
  ``loadResource`` and, failing that, straight from disk, UNC paths included);
- links are recoloured from the widget palette (the importer hard-codes one);
- LaTeX formulas are cut out before parsing (:mod:`ui.render.math_spans`) and put
  back as images typeset in memory (:mod:`ui.render.formulas`), or as their source
  where they cannot be typeset;
- tables get borders and a shaded header row in the palette's colours.

Parsing happens in a :class:`SafeDocument` that has no layout, so nothing in
it is drawn, measured or fetched while it is cleaned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QColor,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
    QTextFormat,
    QTextList,
    QTextListFormat,
)

from ui.render.formulas import Resources, place_formulas
from ui.render.math_image import MathLook
from ui.render.math_spans import Formula, find_math
from ui.render.tables import style_tables

MARKDOWN_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)

_ORDERED_STYLES = frozenset(
    {
        QTextListFormat.Style.ListDecimal,
        QTextListFormat.Style.ListLowerAlpha,
        QTextListFormat.Style.ListUpperAlpha,
        QTextListFormat.Style.ListLowerRoman,
        QTextListFormat.Style.ListUpperRoman,
    }
)


class SafeDocument(QTextDocument):
    """A text document that never loads a resource, whatever URL it is asked for."""

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        return None


@dataclass(frozen=True)
class RenderedMarkdown:
    """A fragment ready to insert, and how an ordered list after it should go on."""

    fragment: QTextDocumentFragment
    # Number the next item would get if a following block continues the
    # top-level ordered list this one ends with; None if it ends otherwise.
    next_list_number: int | None
    # True if the lead paragraph was added here (and may be dropped when the
    # fragment opens a document); False if the importer put it there itself.
    added_lead: bool
    # Typeset formulas the fragment shows, to add to the document it goes into.
    images: Resources = field(default_factory=dict)
    # A formula is still being typeset and shows its source (``wait_for_formulas=False``).
    formulas_pending: bool = False


def render_markdown(
    markdown: str,
    palette: QPalette,
    *,
    continue_list_at: int | None = None,
    math: MathLook | None = None,
    wait_for_formulas: bool = True,
) -> RenderedMarkdown:
    """Parse ``markdown`` into a cleaned fragment.

    The fragment starts with an empty plain paragraph, so inserting it at the
    end of a document merges only that empty paragraph into the last block and
    every real block keeps its own format. ``continue_list_at`` renumbers a
    leading top-level ordered list (a loose list split across blocks). With
    ``math``, formulas are typeset to match it; without, they stay source. Without
    ``wait_for_formulas``, one not typeset yet shows its source while a background
    thread typesets it (see :mod:`ui.render.math_image`).
    """
    formulas: list[Formula] = []
    if math is not None:
        markdown, formulas = find_math(markdown)
    link_color = palette.color(QPalette.ColorRole.Link)
    staging = SafeDocument()
    staging.setUndoRedoEnabled(False)
    staging.setMarkdown(keep_line_breaks(markdown), MARKDOWN_FEATURES)
    images_to_links(staging, link_color)
    recolor_links(staging, link_color)
    style_tables(staging, palette)
    images: Resources = {}
    pending = False
    if formulas and math is not None:
        images, pending = place_formulas(staging, formulas, math, wait=wait_for_formulas)
    if continue_list_at is not None:
        _renumber_leading_list(staging, continue_list_at)
    next_number = _next_list_number(staging)
    added_lead = _lead_with_empty_paragraph(staging)
    return RenderedMarkdown(
        QTextDocumentFragment(staging), next_number, added_lead, images, pending
    )


def keep_line_breaks(markdown: str) -> str:
    """Makes each single newline a line break, as chat apps show replies.

    Strict Markdown joins the lines of a paragraph, which runs a poem's or an address's
    lines together. A trailing backslash is Markdown's hard break; it is added only
    where a line continues a paragraph, so lists, tables and headings are untouched.
    """
    lines = markdown.split("\n")
    for index in range(len(lines) - 1):
        line, following = lines[index], lines[index + 1]
        if _continues_paragraph(line) and _continues_paragraph(following):
            lines[index] = line + "\\"
    return "\n".join(lines)


def _continues_paragraph(line: str) -> bool:
    stripped = line.strip()
    if not stripped or line.startswith("    ") or line.endswith("\\"):
        return False
    return not stripped.startswith(("#", "|", "- ", "* ", "+ ", ">", "```", "~~~")) and not (
        stripped[0].isdigit() and stripped.split(" ", 1)[0].rstrip(".)").isdigit()
    )


def image_label(alt: str, source: str) -> str:
    """The text an image is shown as: what it is and where it points."""
    return f"Image: {alt} ({source})" if alt else f"Image: {source}"


def images_to_links(document: QTextDocument, link_color: QColor) -> int:
    """Replace every image in ``document`` with a text link; return how many."""
    found: list[tuple[int, str, str]] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isImageFormat():
                image = fmt.toImageFormat()
                alt = image.property(QTextFormat.Property.ImageAltText)
                # Consecutive identical images share one fragment: one char each.
                for offset in range(fragment.length()):
                    found.append((fragment.position() + offset, image.name(), str(alt or "")))
            it += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, source, alt in reversed(found):
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(image_label(alt, source), _link_format(source, link_color))
    return len(found)


def recolor_links(document: QTextDocument, link_color: QColor) -> None:
    """Give every link in ``document`` the palette's link colour and an underline."""
    style = QTextCharFormat()
    style.setForeground(link_color)
    style.setFontUnderline(True)
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isAnchor():
                cursor.setPosition(fragment.position())
                cursor.setPosition(
                    fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                )
                cursor.mergeCharFormat(style)
            it += 1
        block = block.next()


def _link_format(href: str, link_color: QColor) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setAnchor(True)
    fmt.setAnchorHref(href)
    fmt.setForeground(link_color)
    fmt.setFontUnderline(True)
    return fmt


def _top_level_ordered_list(document: QTextDocument, block_format: QTextBlockFormat) -> Any:
    """The ordered top-level list a block belongs to, or None."""
    # Look the object up by index only when there is one: asking a block for a
    # list it does not have is a needless trip through a None-returning binding.
    index = block_format.objectIndex()
    if index < 0:
        return None
    text_list = document.object(index)
    fmt = text_list.format()
    if not fmt.isListFormat():
        return None
    list_format = fmt.toListFormat()
    if list_format.indent() != 1 or list_format.style() not in _ORDERED_STYLES:
        return None
    return text_list


def _renumber_leading_list(document: QTextDocument, start: int) -> None:
    first = document.firstBlock()
    text_list = _top_level_ordered_list(document, first.blockFormat())
    if text_list is None:
        return
    list_format = text_list.format().toListFormat()
    list_format.setStart(start)
    text_list.setFormat(list_format)


def _next_list_number(document: QTextDocument) -> int | None:
    """If the document ends inside a top-level ordered list, the next number."""
    block = document.lastBlock()
    while block.isValid():
        index = block.blockFormat().objectIndex()
        if index < 0:
            return None
        list_format = document.object(index).format().toListFormat()
        if list_format.indent() == 1:
            text_list = _top_level_ordered_list(document, block.blockFormat())
            if text_list is None:
                return None
            return int(text_list.format().toListFormat().start()) + int(text_list.count())
        # A nested list item: the top-level list may still be what ends here.
        block = block.previous()
    return None


def _lead_with_empty_paragraph(document: QTextDocument) -> bool:
    """Make the document start with an empty plain block; True if one was added."""
    first = document.firstBlock()
    if _is_plain_empty(first) and first.next().isValid():
        # The importer leaves an empty plain block in front of a leading table
        # or rule: that one serves.
        return False
    cursor = QTextCursor(document)
    # Split before the first block: the new block (after the split) gets the
    # first block's formats and content, the old one is emptied and made plain.
    cursor.insertBlock(first.blockFormat(), first.charFormat())
    lead = document.firstBlock()
    if lead.blockFormat().objectIndex() >= 0:
        lead_list = document.object(lead.blockFormat().objectIndex())
        if isinstance(lead_list, QTextList):
            lead_list.remove(lead)
    cursor.setPosition(0)
    cursor.setBlockFormat(QTextBlockFormat())
    cursor.setBlockCharFormat(QTextCharFormat())
    return True


def _is_plain_empty(block: QTextBlock) -> bool:
    fmt = block.blockFormat()
    return (
        not block.text()
        and fmt.objectIndex() < 0
        and fmt.headingLevel() == 0
        and not fmt.hasProperty(QTextFormat.Property.BlockTrailingHorizontalRulerWidth)
    )
