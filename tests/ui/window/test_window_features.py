"""Instructions, search, delete with undo, and a killed app: through the real window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.helpers import type_and_send, wait_for_reply


def test_model_instructions_are_saved_shown_and_used(qtbot, open_window):
    window = open_window(max_tokens=20)
    type_and_send(qtbot, window, "Hello")
    without = wait_for_reply(qtbot, window).message
    assert not window.chat_view.instructions_label.isVisible()

    def fill_in_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None
        qtbot.keyClicks(dialog.system_prompt_edit, "You are a pirate. " * 10)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(200, fill_in_the_dialog)
    qtbot.mouseClick(window.model_bar.settings_button, Qt.MouseButton.LeftButton)
    label = window.chat_view.instructions_label
    assert label.isVisible() and "You are a pirate." in label.text()

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    type_and_send(qtbot, window, "Hello")
    with_instructions = wait_for_reply(qtbot, window).message
    stored = window.hearth.conversations
    before = stored.get_message(without.id).prompt_tokens or 0
    after = stored.get_message(with_instructions.id).prompt_tokens or 0
    assert after > before + 40  # the instructions went into the prompt


def test_ctrl_f_finds_a_message_and_jumps_to_it(qtbot, open_window):
    window = open_window(max_tokens=16)
    type_and_send(qtbot, window, "Tell me about zebras")
    wait_for_reply(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    type_and_send(qtbot, window, "Tell me about penguins")
    wait_for_reply(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_field.hasFocus()
    qtbot.keyClicks(window.sidebar.search_field, "zebras")
    results = window.sidebar.results_view
    qtbot.waitUntil(lambda: results.isVisible() and results.model().rowCount() >= 1)
    qtbot.mouseClick(
        results.viewport(),
        Qt.MouseButton.LeftButton,
        pos=results.visualRect(results.model().index(0, 0)).center(),
    )
    qtbot.waitUntil(
        lambda: (
            bool(window.chat_view.widgets)
            and window.chat_view.widgets[0].plain_text() == "Tell me about zebras"
        )
    )


def test_delete_then_undo_brings_the_conversation_back(qtbot, open_window):
    window = open_window(max_tokens=8)
    type_and_send(qtbot, window, "Keep me")
    wait_for_reply(qtbot, window)
    view = window.sidebar.list_view
    row = row_of_title(view, "Keep me")
    click_row(qtbot, view, row)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not window.hearth.conversations.list_conversations())
    assert window.chat_view.empty_label.isVisible()  # the open chat closed with it
    bar = window.sidebar.notice_bar
    qtbot.waitUntil(bar.isVisible)
    qtbot.mouseClick(bar.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.hearth.conversations.list_conversations()) == 1)
    assert row_of_title(view, "Keep me") >= 0


def test_a_reply_cut_off_by_killing_hearth_shows_as_interrupted(qtbot, open_window, hearth_home):
    """Hearth (here its command line) is killed mid-reply; the window shows what was kept."""
    child = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "chat", "Write a very long story about a fox."],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HEARTH_HOME": str(hearth_home)},
        text=True,
    )
    try:
        streamed = ""
        deadline = time.monotonic() + 60
        while len(streamed) < 120 and time.monotonic() < deadline:
            streamed += child.stdout.read(1)
        time.sleep(1.2)  # past the once-a-second write of the reply
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert len(streamed) >= 120

    window = open_window()
    view = window.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Write a very long story about a fox."))
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 2)
    reply = window.chat_view.widgets[1]
    qtbot.waitUntil(reply.status_label.isVisible)
    assert reply.status_label.text().startswith("Interrupted")
    # The same words as the terminal printed (line breaks between paragraphs differ).
    assert " ".join(reply.plain_text().split())[:60] == " ".join(streamed.split())[:60]
