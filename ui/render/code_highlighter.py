"""Paints a code block's Pygments tokens onto its Qt document, line by line.

The tokens are computed by :class:`~ui.render.code_tokens.CodeTokens` before the text
they belong to goes into the document; Qt then asks this highlighter for each line it
lays out anew, and :meth:`CodeHighlighter.refresh_lines` re-applies lines whose tokens
changed when their text did not (a comment closed further down, a guessed language).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from ui.render.code_colors import CodeColors
from ui.render.code_tokens import CodeTokens


class CodeHighlighter(QSyntaxHighlighter):
    """Qt's per-line highlighting, fed with precomputed Pygments tokens."""

    def __init__(self, document: QTextDocument, tokens: CodeTokens, palette: QPalette) -> None:
        super().__init__(document)
        self._tokens = tokens
        self.colors = CodeColors(palette)

    def format_for_text(self, line: int, column: int) -> QTextCharFormat:
        """The format the token at (line, column) gets; empty for plain text."""
        for start, length, kind in self._tokens.spans(line):
            if start <= column < start + length:
                return self.colors.format_for(kind)
        return QTextCharFormat()

    def set_palette(self, palette: QPalette) -> None:
        """Colours for a new palette (light or dark), applied to every line."""
        self.colors = CodeColors(palette)
        self.rehighlight()

    def refresh_lines(self, numbers: Iterable[int]) -> None:
        """Apply the current tokens of these lines again."""
        document = self.document()
        for number in numbers:
            block = document.findBlockByNumber(number)
            if block.isValid():
                self.rehighlightBlock(block)

    def highlightBlock(self, text: str) -> None:
        spans = self._tokens.spans(self.currentBlock().blockNumber())
        if not spans:
            return
        utf16 = _utf16_columns(text)
        for column, length, kind in spans:
            fmt = self.colors.format_for(kind)
            if fmt.isEmpty():
                continue
            if utf16 is None:
                self.setFormat(column, length, fmt)
            else:
                start = utf16[min(column, len(text))]
                self.setFormat(start, utf16[min(column + length, len(text))] - start, fmt)


def _utf16_columns(text: str) -> list[int] | None:
    """Qt's (UTF-16) column of each character, or None when they are the same."""
    if text.isascii() or all(ord(ch) < 0x10000 for ch in text):
        return None
    columns = [0]
    for ch in text:
        columns.append(columns[-1] + (2 if ord(ch) >= 0x10000 else 1))
    return columns
