"""Helpers for the sidebar tests: a predictable clock, and clicks and reads on list views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QListView, QMenu
from pytestqt.qtbot import QtBot

from ui.sidebar import ConversationSidebar

SidebarFactory = Callable[..., ConversationSidebar]


class StepClock:
    """Moves ten minutes per reading, from a fixed local noon: distinct, predictable times."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 15, 12, 0).timestamp()

    def __call__(self) -> float:
        self.now += 600.0
        return self.now


def titles_shown(view: QListView) -> list[str]:
    """The titles the list shows, top to bottom."""
    model = view.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def row_center(view: QListView, row: int) -> QPoint:
    """Where on the viewport a click lands on ``row``."""
    return view.visualRect(view.model().index(row, 0)).center()


def row_of_title(view: QListView, title: str) -> int:
    return titles_shown(view).index(title)


def click_row(qtbot: QtBot, view: QListView, row: int) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=row_center(view, row))


def current_row(view: QListView) -> int:
    index: QModelIndex = view.currentIndex()
    return index.row() if index.isValid() else -1


def open_context_menu(qtbot: QtBot, view: QListView, row: int) -> QMenu:
    """Right-click ``row`` (the event the platform sends for a right click) and get the menu."""
    pos = row_center(view, row)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    return menu


def click_menu_item(qtbot: QtBot, menu: QMenu, text: str) -> None:
    [action] = [action for action in menu.actions() if action.text() == text]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible())


def rename_editor(view: QListView) -> QLineEdit | None:
    """The inline title editor, while it is open."""
    editor = view.viewport().findChild(QLineEdit)
    return editor if editor is not None and editor.isVisible() else None
