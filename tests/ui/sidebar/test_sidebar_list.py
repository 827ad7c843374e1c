"""The conversation list: order, labels, opening with mouse and keyboard, refresh."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.store import ConversationStore
from tests.ui.sidebar.sidebar_helpers import (
    SidebarFactory,
    click_row,
    current_row,
    row_of_title,
    titles_shown,
)
from ui.sidebar.conversation_model import ConversationRole


def _chat(
    store: ConversationStore, title: str, model: str | None = "org/repo/tiny-Q4_K_M.gguf"
) -> int:
    conversation = store.create_conversation(title, model)
    store.add_message(conversation.id, None, "user", f"A question about {title}")
    return conversation.id


def test_new_chat_button_asks_for_a_new_chat(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    sidebar = make_sidebar(store)

    with qtbot.waitSignal(sidebar.new_chat_requested, timeout=2000):
        qtbot.mouseClick(sidebar.new_chat_button, Qt.MouseButton.LeftButton)


def test_lists_conversations_newest_first_with_model_and_time(
    store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _chat(store, "Oldest")
    _chat(store, "Middle", model=None)
    _chat(store, "Newest")
    # Activity, not creation, orders the list: a new message moves "Oldest" to the top.
    oldest = store.list_conversations()[-1]
    assert oldest.current_leaf_id is not None
    store.add_message(oldest.id, oldest.current_leaf_id, "assistant", "An answer")

    sidebar = make_sidebar(store)

    assert titles_shown(sidebar.list_view) == ["Oldest", "Newest", "Middle"]
    model = sidebar.list_view.model()
    assert model.index(0, 0).data(ConversationRole.SUBTITLE) == "tiny-Q4_K_M · just now"
    assert model.index(2, 0).data(ConversationRole.SUBTITLE) == "No model · 30 min ago"


def test_an_empty_list_says_so(store: ConversationStore, make_sidebar: SidebarFactory) -> None:
    sidebar = make_sidebar(store)

    assert titles_shown(sidebar.list_view) == []
    assert sidebar.list_view.empty_text == "No conversations yet"
    assert sidebar.current_conversation_id() is None


def test_clicking_a_conversation_opens_it(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    first = _chat(store, "First")
    _chat(store, "Second")
    sidebar = make_sidebar(store)

    with qtbot.waitSignal(sidebar.conversation_selected, timeout=2000) as opened:
        click_row(qtbot, sidebar.list_view, row_of_title(sidebar.list_view, "First"))

    assert opened.args == [first]
    assert sidebar.current_conversation_id() == first
    assert current_row(sidebar.list_view) == 1


def test_arrows_move_and_enter_opens(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    bottom = _chat(store, "Bottom")
    _chat(store, "Middle")
    _chat(store, "Top")
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    opened: list[int] = []
    sidebar.conversation_selected.connect(opened.append)
    click_row(qtbot, view, 0)

    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert current_row(view) == 2
    assert len(opened) == 1  # moving does not open

    qtbot.keyClick(view, Qt.Key.Key_Return)

    assert opened[-1] == bottom
    assert sidebar.current_conversation_id() == bottom


def test_refresh_shows_new_conversations_and_keeps_the_selection(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    kept = _chat(store, "Keep me selected")
    _chat(store, "Other")
    sidebar = make_sidebar(store)
    click_row(qtbot, sidebar.list_view, row_of_title(sidebar.list_view, "Keep me selected"))

    _chat(store, "Brand new")
    sidebar.refresh()

    assert titles_shown(sidebar.list_view) == ["Brand new", "Other", "Keep me selected"]
    assert current_row(sidebar.list_view) == 2
    assert sidebar.current_conversation_id() == kept


def test_select_conversation_highlights_it_without_emitting(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _chat(store, "One")
    sidebar = make_sidebar(store)
    opened: list[int] = []
    sidebar.conversation_selected.connect(opened.append)
    # Created after the sidebar loaded: select_conversation finds it by reloading.
    created = _chat(store, "Made by the window")

    sidebar.select_conversation(created)

    assert current_row(sidebar.list_view) == row_of_title(sidebar.list_view, "Made by the window")
    assert sidebar.current_conversation_id() == created
    assert opened == []


def test_clear_selection_leaves_nothing_open(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _chat(store, "Open")
    sidebar = make_sidebar(store)
    click_row(qtbot, sidebar.list_view, 0)

    sidebar.clear_selection()
    sidebar.refresh()

    assert sidebar.current_conversation_id() is None
    assert sidebar.list_view.selectionModel().selectedIndexes() == []
