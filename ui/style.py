"""The window's look: a few rules on top of the system style, in the system's colours.

Colours come from the palette, so light and dark mode both follow the system; the one
fixed colour is the red edge of an error notice, which reads on both.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

STYLE = """
QFrame#userMessage { background: palette(alternate-base); border-radius: 10px; margin: 4px 12px; }
QFrame#assistantMessage { margin: 4px 12px; }
QLabel#stats, QLabel#backend { color: palette(placeholder-text); }
QLabel#status { color: palette(link); }
QLabel#errorNotice {
    background: palette(alternate-base); border: 1px solid palette(mid);
    border-left: 4px solid #d9534f; border-radius: 4px; padding: 6px 10px;
}
QLabel#instructions, QLabel#templateNote { color: palette(placeholder-text); }
QLabel#emptyState { color: palette(placeholder-text); }
QPlainTextEdit { border-radius: 8px; padding: 6px; }
"""


class _PaletteFollower(QObject):
    """Applies the style sheet again when the application's palette changes (the
    desktop switched between light and dark): a style sheet reads ``palette(...)``
    colours once, when it is applied. It listens to the application's signal, not to
    every event of every object (an application-wide event filter ran Python for each)."""

    def reapply(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet("")
            app.setStyleSheet(STYLE)


def apply_style(app: QApplication) -> None:
    app.setStyleSheet(STYLE)
    if app.findChild(_PaletteFollower) is None:
        follower = _PaletteFollower(app)
        follower.setObjectName("paletteFollower")
        app.paletteChanged.connect(follower.reapply)
