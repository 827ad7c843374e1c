"""Doing things in the window the way a person would: typing, pressing keys, clicking."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.chat.message_widget import MessageWidget
from ui.main_window import MainWindow

REPLY_TIMEOUT_MS = 90_000


def type_and_send(qtbot, window: MainWindow, text: str) -> None:
    edit = window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def replies(window: MainWindow) -> list[MessageWidget]:
    return [w for w in window.chat_view.widgets if w.message.role == "assistant"]


def last_reply(window: MainWindow) -> MessageWidget:
    return replies(window)[-1]


def wait_for_reply(qtbot, window: MainWindow) -> MessageWidget:
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=REPLY_TIMEOUT_MS)
    return last_reply(window)


def wait_for_streamed_text(qtbot, window: MainWindow, chars: int) -> None:
    qtbot.waitUntil(
        lambda: (
            window.chat.busy
            and bool(replies(window))
            and len(last_reply(window).plain_text()) >= chars
        ),
        timeout=REPLY_TIMEOUT_MS,
    )
