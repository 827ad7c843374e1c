"""A reply's thinking in the sidebar: search finds answers only; exports hold the answers,
and "Markdown with thinking" adds each reply's thinking above its answer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.store import ConversationStore
from tests.ui.sidebar.sidebar_helpers import SidebarFactory, click_menu_item, open_context_menu

THOUGHT = "Sourdough is slow. Overnight in the fridge is the usual answer."
ANSWER = "Until doubled, usually overnight."


def _chat_with_thinking(store: ConversationStore) -> None:
    conversation = store.create_conversation("Bread", "tiny.gguf")
    question = store.add_message(conversation.id, None, "user", "How long should dough proof?")
    reply = store.add_message(conversation.id, question.id, "assistant", ANSWER, model="tiny")
    store.update_message(reply.id, reasoning=THOUGHT, thinking_ms=3000.0)


def _export(
    qtbot: QtBot, sidebar_factory: SidebarFactory, store: ConversationStore, folder: Path, item: str
) -> str:
    def choose(parent: QWidget, name: str, export_format: str) -> Path:
        return folder / f"{export_format}-{name}"

    folder.mkdir()
    sidebar = sidebar_factory(store, choose_export_path=choose)
    click_menu_item(qtbot, open_context_menu(qtbot, sidebar.list_view, 0), item)
    qtbot.waitUntil(lambda: sidebar.notice_bar.label.text().startswith("Exported"))
    (written,) = folder.iterdir()
    return written.read_text(encoding="utf-8")


def test_markdown_export_leaves_the_thinking_out(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, tmp_path: Path
) -> None:
    _chat_with_thinking(store)
    text = _export(qtbot, make_sidebar, store, tmp_path / "exports", "Export as Markdown…")
    assert ANSWER in text
    assert THOUGHT not in text


def test_markdown_with_thinking_quotes_it_above_the_answer(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory, tmp_path: Path
) -> None:
    _chat_with_thinking(store)
    text = _export(
        qtbot, make_sidebar, store, tmp_path / "exports", "Export as Markdown with thinking…"
    )
    assert THOUGHT in text and ANSWER in text
    assert text.index(THOUGHT) < text.index(ANSWER)
    assert (tmp_path / "exports" / "markdown_thinking-Bread.md").exists()


def test_search_finds_the_answer_not_the_thinking(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _chat_with_thinking(store)
    sidebar = make_sidebar(store)
    qtbot.mouseClick(sidebar.search_field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(sidebar.search_field, "fridge")  # only in the thinking
    qtbot.waitUntil(lambda: sidebar.search_status.text() == "No messages match \u201cfridge\u201d")
    sidebar.search_field.clear()
    qtbot.keyClicks(sidebar.search_field, "doubled")  # in the answer
    qtbot.waitUntil(lambda: sidebar.results_view.model().rowCount() == 1)
