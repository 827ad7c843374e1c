"""Renaming a conversation in place: F2, double-click or the context menu, Enter saves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu
from pytestqt.qtbot import QtBot

from app.store import ConversationStore
from tests.ui.sidebar.sidebar_helpers import (
    SidebarFactory,
    click_menu_item,
    click_row,
    open_context_menu,
    rename_editor,
    row_center,
    row_of_title,
    titles_shown,
)


def _type_title(qtbot: QtBot, editor: QLineEdit, title: str) -> None:
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, title)


def test_f2_typing_and_enter_renames_in_the_list_and_the_store(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    target = store.create_conversation("Untitled", None)
    store.create_conversation("Another", None)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    renamed: list[tuple[int, str]] = []
    sidebar.conversation_renamed.connect(lambda cid, title: renamed.append((cid, title)))
    click_row(qtbot, view, row_of_title(view, "Untitled"))

    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: rename_editor(view) is not None)
    editor = rename_editor(view)
    assert editor is not None
    assert editor.text() == "Untitled"
    _type_title(qtbot, editor, "Bread notes")
    qtbot.keyClick(editor, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: rename_editor(view) is None)
    assert titles_shown(view) == ["Another", "Bread notes"]
    assert store.get_conversation(target.id).title == "Bread notes"
    assert renamed == [(target.id, "Bread notes")]


def test_double_click_opens_the_editor_and_esc_cancels(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    target = store.create_conversation("Keep this title", None)
    sidebar = make_sidebar(store)
    view = sidebar.list_view

    # A real double-click is a click followed by a double-click event.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=row_center(view, 0))
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=row_center(view, 0))
    qtbot.waitUntil(lambda: rename_editor(view) is not None)
    editor = rename_editor(view)
    assert editor is not None
    _type_title(qtbot, editor, "Thrown away")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: rename_editor(view) is None)
    assert titles_shown(view) == ["Keep this title"]
    assert store.get_conversation(target.id).title == "Keep this title"


def test_context_menu_rename_and_an_empty_title_is_refused(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    target = store.create_conversation("Named", None)
    sidebar = make_sidebar(store)
    view = sidebar.list_view

    menu = open_context_menu(qtbot, view, 0)
    click_menu_item(qtbot, menu, "Rename")
    qtbot.waitUntil(lambda: rename_editor(view) is not None)
    editor = rename_editor(view)
    assert editor is not None
    _type_title(qtbot, editor, "   ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: rename_editor(view) is None)
    assert titles_shown(view) == ["Named"]
    assert store.get_conversation(target.id).title == "Named"


def test_menu_key_opens_the_menu_for_the_keyboard_row(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    target = store.create_conversation("Second", None)
    store.create_conversation("First", None)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    click_row(qtbot, view, 0)
    qtbot.keyClick(view, Qt.Key.Key_Down)

    qtbot.keyClick(view, Qt.Key.Key_Menu)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    click_menu_item(qtbot, menu, "Rename")
    qtbot.waitUntil(lambda: rename_editor(view) is not None)
    editor = rename_editor(view)
    assert editor is not None
    _type_title(qtbot, editor, "Renamed from the keyboard")
    qtbot.keyClick(editor, Qt.Key.Key_Enter)

    qtbot.waitUntil(lambda: rename_editor(view) is None)
    assert store.get_conversation(target.id).title == "Renamed from the keyboard"


def test_a_refresh_while_renaming_waits_for_the_editor(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    target = store.create_conversation("Being renamed", None)
    sidebar = make_sidebar(store)
    view = sidebar.list_view
    click_row(qtbot, view, 0)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: rename_editor(view) is not None)
    editor = rename_editor(view)
    assert editor is not None
    _type_title(qtbot, editor, "Half typ")

    store.create_conversation("Arrived meanwhile", None)
    sidebar.refresh()  # e.g. a reply finished in another chat

    assert rename_editor(view) is editor
    qtbot.keyClicks(editor, "ed")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: titles_shown(view) == ["Arrived meanwhile", "Half typed"])
    assert store.get_conversation(target.id).title == "Half typed"
