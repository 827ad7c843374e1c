"""The real window, the real starter model, driven with keys and clicks."""

from __future__ import annotations

import os
import signal

from PySide6.QtCore import Qt

from app.hearth import Hearth
from app.paths import hearth_paths
from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title
from tests.ui.window.conftest import STARTER_KEY
from tests.ui.window.helpers import (
    last_reply,
    replies,
    type_and_send,
    wait_for_reply,
    wait_for_streamed_text,
)


def test_launch_shows_the_model_and_the_message_box_has_focus(qtbot, window):
    assert window.composer.edit.hasFocus()
    # The picker names the starter once the models folder has been walked (off the GUI
    # thread, so it may come a moment after the model is ready).
    picker = window.model_bar.picker
    qtbot.waitUntil(lambda: picker.currentText() == "SmolLM2-135M-Instruct (starter)")
    assert window.model_bar.backend_label.text() == "on CPU"
    assert window.chat_view.empty_label.isVisible()


def test_enter_sends_and_the_reply_streams_in(qtbot, window):
    type_and_send(qtbot, window, "What is the capital of France?")
    assert window.composer.edit.toPlainText() == ""
    assert window.composer.button.text() == "Stop"
    seen_while_streaming: list[str] = []

    def record() -> bool:
        if replies(window):
            seen_while_streaming.append(last_reply(window).plain_text())
        return not window.chat.busy

    qtbot.waitUntil(record, timeout=90_000)
    reply = wait_for_reply(qtbot, window)
    final = reply.plain_text()
    assert final.strip()
    # The text grew in steps on screen before it was complete.
    partial = {text for text in seen_while_streaming if text and text != final}
    assert partial
    assert reply.stats_label.isVisible() and "tok/s" in reply.stats_label.text()
    assert window.composer.button.text() == "Send"
    assert "Context:" in window.meter.label.text()
    # The new conversation is in the sidebar, titled by the question.
    stored = window.hearth.conversations.list_conversations()
    assert [c.title for c in stored] == ["What is the capital of France?"]


def test_shift_enter_adds_a_line_instead_of_sending(qtbot, window):
    edit = window.composer.edit
    qtbot.keyClicks(edit, "first line")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "second line")
    assert edit.toPlainText() == "first line\nsecond line"
    assert not window.chat.busy and not window.hearth.conversations.list_conversations()


def test_the_stop_button_ends_the_reply_and_keeps_it(qtbot, open_window):
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)  # a long reply, every run
    type_and_send(qtbot, window, "Write a very long story about a brave knight.")
    wait_for_streamed_text(qtbot, window, 40)
    qtbot.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
    reply = wait_for_reply(qtbot, window)
    assert reply.status_label.text() == "Stopped"
    stored = window.hearth.conversations.get_message(reply.message.id)
    assert stored.status == "stopped"
    assert len(stored.content) >= 40
    assert reply.plain_text().strip()[:30] in stored.content


def test_escape_stops_the_reply(qtbot, open_window):
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)  # a long reply, every run
    type_and_send(qtbot, window, "Write a very long story about a dragon.")
    wait_for_streamed_text(qtbot, window, 20)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    reply = wait_for_reply(qtbot, window)
    assert window.hearth.conversations.get_message(reply.message.id).status == "stopped"


def test_regenerate_keeps_versions_behind_a_switcher(qtbot, open_window):
    window = open_window(temperature=1.2, max_tokens=40)
    type_and_send(qtbot, window, "Invent a name for a cat.")
    first = wait_for_reply(qtbot, window)
    first_text = window.hearth.conversations.get_message(first.message.id).content
    qtbot.mouseClick(first.regenerate_button, Qt.MouseButton.LeftButton)
    second = wait_for_reply(qtbot, window)
    assert second.version_label.isVisible() and second.version_label.text() == "2/2"
    qtbot.mouseClick(second.previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: last_reply(window).version_label.text() == "1/2")
    assert window.hearth.conversations.get_message(last_reply(window).message.id).content == (
        first_text
    )
    qtbot.mouseClick(last_reply(window).next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: last_reply(window).version_label.text() == "2/2")


def test_editing_an_earlier_message_starts_a_new_version(qtbot, open_window):
    window = open_window(max_tokens=30)
    type_and_send(qtbot, window, "Name a fruit.")
    wait_for_reply(qtbot, window)
    type_and_send(qtbot, window, "Name a vegetable.")
    wait_for_reply(qtbot, window)
    first_question = window.chat_view.widgets[0]
    qtbot.mouseClick(first_question.edit_button, Qt.MouseButton.LeftButton)
    editor = first_question._editor
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "Name a colour.")
    send = next(
        b
        for b in first_question.findChildren(type(first_question.edit_button))
        if b.text() == "Send"
    )
    qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
    wait_for_reply(qtbot, window)
    widgets = window.chat_view.widgets
    assert [w.message.role for w in widgets] == ["user", "assistant"]
    assert widgets[0].plain_text() == "Name a colour."
    assert widgets[0].version_label.text() == "2/2"
    qtbot.mouseClick(widgets[0].previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 4)
    assert window.chat_view.widgets[0].plain_text() == "Name a fruit."


def test_a_killed_engine_is_reported_in_the_chat_and_reload_works(qtbot, open_window):
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)  # a long reply, every run
    type_and_send(qtbot, window, "Write a very long story about the moon.")
    wait_for_streamed_text(qtbot, window, 20)
    pid = window.hearth.engine.host_pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    reply = wait_for_reply(qtbot, window)
    assert window.isVisible()
    assert "SIGKILL" in reply.status_label.text()
    assert reply.plain_text().strip()  # the partial reply is still there
    assert reply.reload_button.isVisible()
    qtbot.mouseClick(reply.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hearth.engine.host_pid not in (None, pid), timeout=60_000)
    qtbot.waitUntil(lambda: not window.model_bar.progress.isVisible(), timeout=60_000)
    type_and_send(qtbot, window, "Hello again")
    assert wait_for_reply(qtbot, window).plain_text().strip()


def test_after_a_restart_every_conversation_is_back_with_its_model(qtbot, open_window):
    window = open_window(max_tokens=20)
    type_and_send(qtbot, window, "First chat")
    wait_for_reply(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat_view.empty_label.isVisible()
    type_and_send(qtbot, window, "Second chat")
    wait_for_reply(qtbot, window)
    window.close()

    again = open_window()
    conversations = again.hearth.conversations.list_conversations()
    assert sorted(c.title for c in conversations) == ["First chat", "Second chat"]
    assert {c.model for c in conversations} == {"SmolLM2-135M-Instruct.Q4_1.gguf"}
    view = again.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "First chat"))
    qtbot.waitUntil(lambda: len(again.chat_view.widgets) == 2)
    assert again.chat_view.widgets[0].plain_text() == "First chat"
    click_row(qtbot, view, row_of_title(view, "Second chat"))
    qtbot.waitUntil(lambda: again.chat_view.widgets[0].plain_text() == "Second chat")


def test_the_view_follows_new_text_unless_the_user_scrolled_up(qtbot, open_window, hearth_home):
    # Earlier turns already on disk, so the view can scroll before the new reply starts;
    # a fixed seed makes the one streamed reply the same long story every run.
    earlier = Hearth.open(hearth_paths())
    store = earlier.conversations
    chat = store.create_conversation("Rivers and hills", STARTER_KEY)
    parent = None
    for topic in ("rivers", "hills"):
        question = store.add_message(chat.id, parent, "user", f"A poem about {topic}?")
        verse = f"The {topic} go on and on,\nfrom dusk until the dawn.\n\n" * 12
        parent = store.add_message(chat.id, question.id, "assistant", verse, model=STARTER_KEY).id
    earlier.close()
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)
    window.resize(700, 450)
    view = window.sidebar.list_view
    click_row(qtbot, view, row_of_title(view, "Rivers and hills"))
    bar = window.chat_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # pinned to the newest text

    type_and_send(qtbot, window, "Write a very long story about a forest.")
    wait_for_streamed_text(qtbot, window, 50)
    bar.setValue(0)  # the user scrolls up to read
    growing_from = bar.maximum()
    qtbot.waitUntil(lambda: bar.maximum() > growing_from + 100, timeout=60_000)
    assert bar.value() == 0  # left where the user put it while the reply grew

    bar.setValue(bar.maximum())  # back to the bottom: following again
    grown = bar.maximum()
    qtbot.waitUntil(lambda: bar.maximum() > grown + 50, timeout=60_000)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    window.chat.stop()
    wait_for_reply(qtbot, window)


def test_opening_with_a_model_by_path_loads_it(qtbot, open_window, starter_model, tmp_path):
    import shutil

    copy = tmp_path / "My-Own-Model.gguf"
    shutil.copy(starter_model, copy)
    window = open_window()
    window.load_model(str(copy))
    qtbot.waitUntil(
        lambda: (
            window.hearth.engine.info is not None
            and window.hearth.engine.info.model_path == str(copy)
        ),
        timeout=60_000,
    )
    qtbot.waitUntil(lambda: window.model_bar.picker.currentText() == "My-Own-Model")
