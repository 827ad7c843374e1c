"""Leaving a chat while its reply streams, and coming back: the reply goes on where it is."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.helpers import (
    last_reply,
    type_and_send,
    wait_for_reply,
    wait_for_streamed_text,
)


def test_a_reply_keeps_streaming_after_switching_chats_and_back(qtbot, open_window):
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)  # a long reply, every run
    type_and_send(qtbot, window, "Write a very long story about a lighthouse keeper.")
    wait_for_streamed_text(qtbot, window, 40)

    # Away to a new chat while the reply streams, then back through the sidebar.
    qtbot.mouseClick(window.sidebar.new_chat_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.chat.conversation_id is None)
    view = window.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Write a very long story about a lighthouse keeper."))
    qtbot.waitUntil(
        lambda: window.chat.conversation_id is not None and bool(window.chat_view.widgets)
    )

    reply = last_reply(window)
    shown_on_return = len(reply.plain_text())
    assert shown_on_return >= 40  # what was written while away is there
    # And it keeps growing while the reply is still streaming (it froze before).
    qtbot.waitUntil(
        lambda: window.chat.busy and len(last_reply(window).plain_text()) > shown_on_return + 40,
        timeout=60_000,
    )
    window.chat.stop()
    finished = wait_for_reply(qtbot, window)
    stored = window.hearth.conversations.get_message(finished.message.id)
    assert stored.status == "stopped"
    assert finished.plain_text().strip()[:40] in stored.content
