"""Deleting a conversation: gone at once, Undo brings it back, a timeout leaves it deleted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.store import ConversationStore
from tests.ui.sidebar.sidebar_helpers import (
    SidebarFactory,
    click_menu_item,
    click_row,
    current_row,
    open_context_menu,
    row_of_title,
    titles_shown,
)


def _three_chats(store: ConversationStore) -> dict[str, int]:
    ids = {}
    for title in ("Bottom", "Middle", "Top"):
        conversation = store.create_conversation(title, None)
        store.add_message(conversation.id, None, "user", f"Hello from {title}")
        ids[title] = conversation.id
    return ids


def _visible_ids(store: ConversationStore) -> list[int]:
    return [conversation.id for conversation in store.list_conversations()]


def test_delete_key_removes_it_and_undo_restores_it_in_place(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _three_chats(store)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Middle"))

    with qtbot.waitSignal(sidebar.conversation_deleted, timeout=2000) as deleted:
        qtbot.keyClick(view, Qt.Key.Key_Delete)

    assert deleted.args == [ids["Middle"]]
    assert titles_shown(view) == ["Top", "Bottom"]
    assert ids["Middle"] not in _visible_ids(store)
    assert [c.id for c in store.list_deleted_conversations()] == [ids["Middle"]]
    assert sidebar.current_conversation_id() is None
    bar = sidebar.notice_bar
    assert bar.isVisible()
    assert bar.label.text() == "Deleted \u201cMiddle\u201d"
    assert bar.action_button.isVisible()
    assert bar.action_button.text() == "Undo"

    with qtbot.waitSignal(sidebar.conversation_selected, timeout=2000) as reopened:
        qtbot.mouseClick(bar.action_button, Qt.MouseButton.LeftButton)

    assert reopened.args == [ids["Middle"]]
    assert titles_shown(view) == ["Top", "Middle", "Bottom"]
    assert current_row(view) == 1
    assert sidebar.current_conversation_id() == ids["Middle"]
    assert ids["Middle"] in _visible_ids(store)
    assert store.list_deleted_conversations() == []
    assert not bar.isVisible()


def test_after_the_bar_times_out_the_conversation_stays_deleted(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _three_chats(store)
    sidebar = make_sidebar(store, undo_timeout_ms=50)
    view = sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Top"))

    with qtbot.waitSignal(sidebar.notice_bar.expired, timeout=5000):
        qtbot.keyClick(view, Qt.Key.Key_Delete)

    assert not sidebar.notice_bar.isVisible()
    assert titles_shown(view) == ["Middle", "Bottom"]
    # In the bin, not purged: a later start may purge it, and until then it is still there.
    assert [c.id for c in store.list_deleted_conversations()] == [ids["Top"]]
    sidebar.refresh()
    assert titles_shown(view) == ["Middle", "Bottom"]


def test_delete_from_the_context_menu_keeps_the_open_conversation(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _three_chats(store)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Top"))

    menu = open_context_menu(qtbot, view, row_of_title(view, "Bottom"))
    with qtbot.waitSignal(sidebar.conversation_deleted, timeout=2000) as deleted:
        click_menu_item(qtbot, menu, "Delete")

    assert deleted.args == [ids["Bottom"]]
    assert titles_shown(view) == ["Top", "Middle"]
    assert sidebar.current_conversation_id() == ids["Top"]
    assert ids["Bottom"] not in _visible_ids(store)
    assert sidebar.notice_bar.label.text() == "Deleted \u201cBottom\u201d"


def test_a_second_delete_takes_over_the_undo(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _three_chats(store)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    click_row(qtbot, view, 0)

    qtbot.keyClick(view, Qt.Key.Key_Delete)  # Top
    qtbot.keyClick(view, Qt.Key.Key_Delete)  # then the row the cursor moved to: Middle
    assert titles_shown(view) == ["Bottom"]
    assert sidebar.notice_bar.label.text() == "Deleted \u201cMiddle\u201d"

    qtbot.mouseClick(sidebar.notice_bar.action_button, Qt.MouseButton.LeftButton)

    assert titles_shown(view) == ["Middle", "Bottom"]
    assert [c.id for c in store.list_deleted_conversations()] == [ids["Top"]]
