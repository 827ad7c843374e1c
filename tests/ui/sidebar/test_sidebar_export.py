"""Exporting from the context menu writes Markdown and JSON files with the chat's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.store import ConversationStore
from tests.ui.sidebar.sidebar_helpers import SidebarFactory, click_menu_item, open_context_menu
from ui.sidebar.export import suggested_file_name


class ChooserRecorder:
    """Stands in for the save dialog: answers a path in ``folder`` and notes what it saw."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.calls: list[tuple[str, str]] = []

    def __call__(self, parent: QWidget, suggested_name: str, export_format: str) -> Path | None:
        self.calls.append((suggested_name, export_format))
        return None if self.folder is None else self.folder / suggested_name


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def _bread(store: ConversationStore) -> int:
    conversation = store.create_conversation("Baking: bread?", "tiny.gguf")
    question = store.add_message(conversation.id, None, "user", "How long should sourdough proof?")
    store.add_message(
        conversation.id, question.id, "assistant", "Until doubled, usually overnight.", model="tiny"
    )
    return conversation.id


def test_export_as_markdown_writes_the_messages(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, exports: Path
) -> None:
    _bread(store)
    chooser = ChooserRecorder(exports)
    sidebar = make_sidebar(store, choose_export_path=chooser)

    click_menu_item(qtbot, open_context_menu(qtbot, sidebar.list_view, 0), "Export as Markdown…")

    qtbot.waitUntil(lambda: sidebar.notice_bar.label.text().startswith("Exported"))
    assert chooser.calls == [("Baking bread.md", "markdown")]
    text = (exports / "Baking bread.md").read_text(encoding="utf-8")
    assert text.startswith("# Baking: bread?")
    assert "How long should sourdough proof?" in text
    assert "Until doubled, usually overnight." in text
    assert sidebar.notice_bar.label.text() == "Exported to Baking bread.md"
    assert not sidebar.notice_bar.action_button.isVisible()


def test_export_as_json_writes_the_messages(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, exports: Path
) -> None:
    conversation_id = _bread(store)
    chooser = ChooserRecorder(exports)
    sidebar = make_sidebar(store, choose_export_path=chooser)

    click_menu_item(qtbot, open_context_menu(qtbot, sidebar.list_view, 0), "Export as JSON…")

    qtbot.waitUntil(lambda: sidebar.notice_bar.label.text().startswith("Exported"))
    document = json.loads((exports / "Baking bread.json").read_text(encoding="utf-8"))
    assert document["conversation"]["id"] == conversation_id
    assert [message["content"] for message in document["messages"]] == [
        "How long should sourdough proof?",
        "Until doubled, usually overnight.",
    ]
    assert list(exports.iterdir()) == [exports / "Baking bread.json"]  # no temp file left


def test_cancelling_the_chooser_writes_nothing(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, exports: Path
) -> None:
    _bread(store)
    chooser = ChooserRecorder(None)
    sidebar = make_sidebar(store, choose_export_path=chooser)
    before = sorted(exports.rglob("*"))

    click_menu_item(qtbot, open_context_menu(qtbot, sidebar.list_view, 0), "Export as JSON…")

    assert chooser.calls == [("Baking bread.json", "json")]
    assert sidebar.stop_background_work(5000)
    assert sorted(exports.rglob("*")) == before
    assert not sidebar.notice_bar.isVisible()


def test_a_failed_export_is_reported(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, exports: Path
) -> None:
    _bread(store)
    chooser = ChooserRecorder(exports / "no such folder")
    sidebar = make_sidebar(store, choose_export_path=chooser)

    click_menu_item(qtbot, open_context_menu(qtbot, sidebar.list_view, 0), "Export as Markdown…")

    qtbot.waitUntil(lambda: sidebar.notice_bar.label.text().startswith("Could not export"))
    assert sidebar.notice_bar.isVisible()


def test_suggested_names_are_safe_file_names() -> None:
    assert suggested_file_name('a/b\\c:d*e?f"g<h>i|j', "markdown") == "a b c d e f g h i j.md"
    assert suggested_file_name("...", "json") == "Conversation.json"
    assert suggested_file_name("x" * 200, "json") == "x" * 80 + ".json"
