"""A message sent while a model loads is kept even if its chat is deleted before the reply
can start, and Undo brings it back.

Found by the soak (``bench/soak.py``): the message was stored only when the engine's
worker got to it, after the load; by then the chat was deleted, storing it failed, and
the message was gone for good (Undo brought back an empty chat).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.helpers import type_and_send
from tests.ui.window.test_switching import choose_model

TEXT = "Remember the lighthouse keeper"


def test_a_message_sent_during_a_load_survives_deleting_its_chat(
    qtbot, open_window, gemma_model: Path
) -> None:
    window = open_window(max_tokens=16)
    hearth = window.hearth
    gemma = hearth.paths.models / gemma_model.name
    os.link(gemma_model, gemma)
    window.refresh_models()
    qtbot.waitUntil(lambda: window.model_bar.picker.findData(str(gemma)) >= 0)

    choose_model(qtbot, window, gemma)
    assert window.model_bar.progress.isVisible()  # Gemma is loading
    type_and_send(qtbot, window, TEXT)
    view = window.sidebar.list_view
    qtbot.waitUntil(lambda: row_of_title(view, TEXT) >= 0)
    click_row(qtbot, view, row_of_title(view, TEXT))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not hearth.conversations.list_conversations())

    # The load ends and the worker takes the message up: its chat is gone by then.
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=120_000)
    assert window.composer.button.text() == "Send"

    bar = window.sidebar.notice_bar
    assert bar.isVisible()
    qtbot.mouseClick(bar.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(hearth.conversations.list_conversations()) == 1)
    (conversation,) = hearth.conversations.list_conversations()
    path = hearth.conversations.active_path(conversation.id)
    # Before the fix the chat came back empty: the message was never stored.
    assert [m.content for m in path if m.role == "user"] == [TEXT]
