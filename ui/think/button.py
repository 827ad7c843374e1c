"""The "Think longer" button under a reply: a click samples the default number of
candidates; its arrow offers other numbers and the candidates of a version it made."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

DEFAULT_COUNT = 3
COUNTS = (3, 5)


def think_longer_button(
    parent: QWidget, think: Callable[[int], None], show_candidates: Callable[[], None]
) -> QToolButton:
    button = QToolButton(parent)
    button.setText("Think longer")
    button.setAccessibleName("Think longer")
    button.setToolTip(
        "Sample several answers and keep the best as a new version (a thinking model "
        "thinks harder instead); the arrow: how many, or see the candidates"
    )
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    menu = QMenu(button)
    for count in COUNTS:
        action = menu.addAction(f"Think longer: {count} candidates")
        action.triggered.connect(lambda _checked=False, n=count: think(n))
    menu.addSeparator()
    menu.addAction("Show the candidates and why…").triggered.connect(show_candidates)
    button.setMenu(menu)
    button.clicked.connect(lambda: think(DEFAULT_COUNT))
    return button
