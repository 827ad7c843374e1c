"""The window's look: a few rules on top of the system style, in the system's colours.

Colours come from the palette, so light and dark mode both follow the system.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

STYLE = """
QFrame#userMessage { background: palette(alternate-base); border-radius: 10px; margin: 4px 12px; }
QFrame#assistantMessage { margin: 4px 12px; }
QLabel#stats, QLabel#backend { color: palette(placeholder-text); }
QLabel#status { color: palette(link); }
QLabel#instructions, QLabel#templateNote { color: palette(placeholder-text); }
QLabel#emptyState { color: palette(placeholder-text); }
QPlainTextEdit { border-radius: 8px; padding: 6px; }
"""


def apply_style(app: QApplication) -> None:
    app.setStyleSheet(STYLE)
