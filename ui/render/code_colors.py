"""Colours for highlighted code: a Pygments style chosen for the palette, as Qt formats.

A light palette gets Pygments' ``default`` style, a dark one ``github-dark``. The code's
background stays the palette's own (the block sits on the window's colours); any token
colour that would read badly on that background (contrast under 3:1, as with a custom
palette) falls back to the palette's text colour, so code stays readable whatever
the theme.
"""

from __future__ import annotations

from functools import cache

from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from PySide6.QtGui import QColor, QFont, QPalette, QTextCharFormat

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
# WCAG's minimum contrast for large or bold text; below it a colour is not used.
MIN_CONTRAST = 3.0


def is_dark(palette: QPalette) -> bool:
    """Whether text is drawn light on dark in this palette."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    return base.lightnessF() < text.lightnessF()


def _luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@cache
def _style(name: str) -> StyleMeta:
    return get_style_by_name(name)


class CodeColors:
    """The character format of each token type, for one palette."""

    def __init__(self, palette: QPalette) -> None:
        self.dark = is_dark(palette)
        self.style_name = DARK_STYLE if self.dark else LIGHT_STYLE
        self._style = _style(self.style_name)
        self._background = palette.color(QPalette.ColorRole.Base)
        self._text = palette.color(QPalette.ColorRole.Text)
        self._formats: dict[_TokenType, QTextCharFormat] = {}

    def format_for(self, kind: _TokenType) -> QTextCharFormat:
        """How a token of this type looks (an empty format for plain text)."""
        found = self._formats.get(kind)
        if found is None:
            found = self._formats[kind] = self._make(kind)
        return found

    def _make(self, kind: _TokenType) -> QTextCharFormat:
        looks = self._style.style_for_token(kind)
        fmt = QTextCharFormat()
        if looks["color"]:
            color = QColor(f"#{looks['color']}")
            if contrast(color, self._background) < MIN_CONTRAST:
                color = self._text
            fmt.setForeground(color)
        if looks["bold"]:
            fmt.setFontWeight(QFont.Weight.Bold)
        if looks["italic"]:
            fmt.setFontItalic(True)
        if looks["underline"]:
            fmt.setFontUnderline(True)
        return fmt
