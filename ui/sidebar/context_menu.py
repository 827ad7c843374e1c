"""The right-click menu of a conversation row: rename, export, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QWidget


@dataclass(frozen=True)
class ConversationMenuActions:
    """What each entry does, for one conversation."""

    rename: Callable[[], None]
    export_markdown: Callable[[], None]
    export_markdown_thinking: Callable[[], None]
    export_json: Callable[[], None]
    delete: Callable[[], None]


def build_conversation_menu(parent: QWidget, actions: ConversationMenuActions) -> QMenu:
    """A menu with Rename, the exports and Delete (keys shown as hints)."""
    menu = QMenu(parent)
    rename = menu.addAction("Rename")
    rename.setShortcut(QKeySequence("F2"))
    rename.triggered.connect(actions.rename)
    menu.addSeparator()
    menu.addAction("Export as Markdown…").triggered.connect(actions.export_markdown)
    with_thinking = menu.addAction("Export as Markdown with thinking…")
    with_thinking.setToolTip("Each reply's thinking, quoted above its answer")
    with_thinking.triggered.connect(actions.export_markdown_thinking)
    menu.addAction("Export as JSON…").triggered.connect(actions.export_json)
    menu.addSeparator()
    delete = menu.addAction("Delete")
    delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
    delete.triggered.connect(actions.delete)
    return menu
