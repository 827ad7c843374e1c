"""Instructions, search, delete with undo, and a killed app: through the real window."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.paths import hearth_paths
from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.helpers import REPLY_TIMEOUT_MS, type_and_send, wait_for_reply

KEPT_CHARS = 40  # the stored part of the reply at which Hearth is killed


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
    """Hearth (here its command line) is killed mid-reply; the window shows what was kept.

    The kill comes as soon as the database holds part of the reply while it is still being
    written, so a model that would end its story early cannot turn this into a whole reply.
    """
    prompt = "Write a very long story about a fox, in ten chapters."
    child = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "chat", "--max-tokens", "4096", prompt],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HEARTH_HOME": str(hearth_home)},
    )
    try:
        qtbot.waitUntil(
            lambda: len(_reply_being_written(hearth_paths().database)) >= KEPT_CHARS,
            timeout=REPLY_TIMEOUT_MS,
        )
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        printed = _read_what_is_there(child.stdout.fileno()).decode("utf-8", "ignore")
    finally:
        child.kill()
        child.wait()
        child.stdout.close()

    window = open_window()
    view = window.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, prompt))
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 2)
    reply = window.chat_view.widgets[1]
    qtbot.waitUntil(reply.status_label.isVisible)
    assert reply.status_label.text().startswith("Interrupted")
    # The same words as the terminal printed (line breaks between paragraphs differ; the
    # kill may land between storing a piece and printing it, so compare what both have).
    kept, shown = " ".join(reply.plain_text().split()), " ".join(printed.split())
    same = min(len(kept), len(shown))
    assert same >= KEPT_CHARS // 2
    assert kept[:same] == shown[:same]


def _reply_being_written(database: Path) -> str:
    """The stored text of a reply still marked as streaming ("" while there is none)."""
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT content FROM messages WHERE role = 'assistant' AND status = 'streaming'"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return ""
    return row[0] if row else ""


def _read_what_is_there(fd: int) -> bytes:
    """What a dead child left in its pipe, without waiting for the engine host it started."""
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            piece = os.read(fd, 65536)
        except BlockingIOError:
            return data
        if not piece:
            return data
        data += piece
