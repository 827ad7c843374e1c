"""Driving the Models page as a user would: typing, clicking list items and buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget

from ui.models.page import ModelsPage

WAIT_MS = 20_000


def click_list_item(qtbot, view: QListWidget, text_part: str) -> None:
    item = next(view.item(row) for row in range(view.count()) if text_part in view.item(row).text())
    view.scrollToItem(item)
    rect = view.visualItemRect(item)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def list_texts(view: QListWidget) -> list[str]:
    return [view.item(row).text() for row in range(view.count())]


def search(qtbot, page: ModelsPage, text: str, sort: str = "Most downloaded") -> None:
    panel = page.search_panel
    panel.query.clear()
    qtbot.keyClicks(panel.query, text)
    panel.sort.setCurrentText(sort)
    qtbot.mouseClick(panel.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.search_button.isEnabled(), timeout=WAIT_MS)


def open_repo(qtbot, page: ModelsPage, repo_id: str) -> None:
    click_list_item(qtbot, page.search_panel.results, repo_id)
    qtbot.waitUntil(
        lambda: page.repo is not None or bool(page.files_panel.notice.text()), timeout=WAIT_MS
    )
