"""Reading comfort in the conversation: zoom keys, a readable width, copy as Markdown or
plain text, and an error notice laid out across the message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QGuiApplication
from pytestqt.qtbot import QtBot

from app.store.records import Message
from tests.support.messages import stored_message
from ui.chat.chat_view import ChatView
from ui.chat.message_widget import MessageWidget, VersionInfo

ANSWER = (
    "**Bold** words, a formula $x^2 + 1$ and a table:\n\n"
    "| Name | Value |\n|---|---|\n| alpha | 1 |\n\n"
    "The end of a long sentence that should wrap on a narrow window but not run across "
    "the whole of a very wide one, where lines this long are hard to follow."
)


def _message(**fields: Any) -> Message:
    message = stored_message(
        id=2,
        parent_id=1,
        role="assistant",
        content=ANSWER,
        model="tiny.gguf",
        completion_tokens=12,
    )
    return replace(message, **fields)


def _view(qtbot: QtBot, width: int) -> ChatView:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()  # shortcuts work in the active window
    qtbot.waitUntil(view.isActiveWindow)
    user = _message(id=1, parent_id=None, role="user", content="Show me things.")
    view.show_messages([user, _message()], {2: VersionInfo(1, 1, None, None)})
    return view


def _text_size(widget: MessageWidget) -> float:
    return QFontInfo(widget.body.font()).pointSizeF()


def test_zoom_keys_change_the_conversation_text_size(qtbot: QtBot) -> None:
    view = _view(qtbot, 900)
    levels: list[int] = []
    view.zoom_changed.connect(levels.append)
    reply = view.widgets[-1]
    normal = _text_size(reply)
    view.setFocus()

    qtbot.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert _text_size(reply) > normal * 1.15
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert _text_size(reply) < normal
    qtbot.keyClick(view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert _text_size(reply) == normal
    assert levels == [1, 2, 1, 0, -1, 0]


def test_zoom_reaches_messages_added_later_and_a_remembered_level(qtbot: QtBot) -> None:
    view = _view(qtbot, 900)
    normal = _text_size(view.widgets[-1])
    view.set_zoom(3)  # as the window does with the remembered choice
    view.show_messages([_message(id=5, content="Later.")], {})
    assert _text_size(view.widgets[-1]) > normal * 1.4
    view.set_zoom(99)
    assert view.zoom_level == 6  # the largest step


def test_messages_keep_a_readable_width_on_a_wide_window(qtbot: QtBot) -> None:
    view = _view(qtbot, 2400)
    reply = view.widgets[-1]
    limit = view.text_width_limit()
    qtbot.waitUntil(lambda: limit - 40 <= reply.width() <= limit)
    left = reply.mapTo(view.viewport(), reply.rect().topLeft()).x()
    right_gap = view.viewport().width() - (left + reply.width())
    assert abs(left - right_gap) <= 30  # centred

    view.resize(700, 700)
    qtbot.waitUntil(lambda: reply.width() >= 640)  # a narrow window: all of it is used


def test_the_width_limit_grows_with_the_zoom(qtbot: QtBot) -> None:
    view = _view(qtbot, 2400)
    before = view.text_width_limit()
    view.zoom_in()
    assert view.text_width_limit() > before


def test_copy_gives_markdown_and_the_menu_gives_plain_text(qtbot: QtBot) -> None:
    view = _view(qtbot, 900)
    reply = view.widgets[-1]
    assert reply.copy_button.accessibleName()
    qtbot.mouseClick(reply.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == ANSWER

    reply.copy_text_action.trigger()
    plain = QGuiApplication.clipboard().text()
    assert plain.startswith("Bold words, a formula $x^2 + 1$ and a table:")
    assert "**" not in plain and "|---|" not in plain
    assert "alpha" in plain and "the end of a long sentence" in plain.lower()


def test_an_error_notice_spans_the_message(qtbot: QtBot) -> None:
    error = (
        "The engine stopped unexpectedly (signal SIGKILL). The reply so far is kept; "
        "reload the model to go on."
    )
    widget = MessageWidget(_message(status="error", error=error), author="Tiny")
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show()
    qtbot.waitExposed(widget)
    notice = widget.status_label
    assert notice.isVisible() and notice.text() == error
    assert notice.objectName() == "errorNotice"
    qtbot.waitUntil(lambda: notice.width() >= widget.body.width() - 2)
    # On its own row, between the answer and the buttons.
    assert notice.geometry().top() >= widget.body.geometry().bottom()
    assert notice.geometry().bottom() <= widget.reload_button.geometry().top()
    assert widget.reload_button.isVisible()
