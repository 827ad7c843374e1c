"""The real window never waits on slow work: the models folder is walked off the GUI
thread, what the engine's thread reports is shown by the GUI thread, and closing takes
about a second however busy Hearth is, with the engine host ended afterwards."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

import app.hearth
from app.store import ConversationStore, Database
from tests.support.tiny_gguf import write_tiny_llama
from tests.ui.window.conftest import LOAD_TIMEOUT_MS
from tests.ui.window.helpers import type_and_send, wait_for_reply, wait_for_streamed_text
from ui.application import close_down

CLOSE_LIMIT_S = 1.0


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def picker_names(window) -> list[str]:
    picker = window.model_bar.picker
    return [picker.itemText(i) for i in range(picker.count())]


def test_the_models_folder_is_walked_off_the_gui_thread(qtbot, window, monkeypatch):
    walks: list[bool] = []
    walk = app.hearth.list_local_models

    def watched_walk(*args, **kwargs):  # the real walk, noting the thread it runs on
        walks.append(on_gui_thread())
        return walk(*args, **kwargs)

    monkeypatch.setattr(app.hearth, "list_local_models", watched_walk)
    fresh = window.hearth.paths.models / "someone" / "fresh-GGUF" / "Fresh-Q4_0.gguf"
    fresh.parent.mkdir(parents=True)
    write_tiny_llama(fresh)

    window.refresh_models()
    qtbot.waitUntil(lambda: "Fresh-Q4_0" in picker_names(window), timeout=LOAD_TIMEOUT_MS)

    assert walks and not any(walks), "the models folder was walked on the GUI thread"
    assert window.model_bar.picker.currentText() == "SmolLM2-135M-Instruct (starter)"


def test_reloading_a_crashed_model_is_said_by_the_gui_thread(qtbot, open_window):
    window = open_window(max_tokens=8)
    said: list[tuple[str, bool]] = []
    # Called in whichever thread shows the message: that is what is checked.
    window.statusBar().messageChanged.connect(lambda text: said.append((text, on_gui_thread())))
    pid = window.hearth.engine.host_pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: _ended(pid))

    type_and_send(qtbot, window, "Hello")  # the engine's thread finds the host dead: reload
    reply = wait_for_reply(qtbot, window)

    reloading = [gui for text, gui in said if text == "Reloading the model…"]
    assert reloading == [True]
    assert reply.message.status == "complete" and window.hearth.engine.host_pid != pid


@pytest.fixture
def silent_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[socket.socket]]:
    """A Hub that takes connections and never answers (a network that has gone quiet)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield accepted
    server.shutdown(socket.SHUT_RDWR)  # wakes the acceptor, which then ends
    server.close()
    acceptor.join(10)
    for connection in accepted:
        connection.close()


def test_closing_while_busy_takes_a_second_and_leaves_no_engine_behind(
    qtbot, open_window, silent_hub
):
    window = open_window(max_tokens=3000, seed=7, temperature=0.8)  # a long reply
    hearth = window.hearth
    window.open_models()
    page = window.models_window.page
    page.search("tiny", "downloads")  # waits for a Hub that never answers
    qtbot.waitUntil(lambda: bool(silent_hub), timeout=LOAD_TIMEOUT_MS)
    type_and_send(qtbot, window, "Write a very long story about the moon.")
    wait_for_streamed_text(qtbot, window, 20)
    host = hearth.engine.host_pid
    assert host and page.runner.busy

    started = time.monotonic()
    window.close()
    took = time.monotonic() - started

    assert took < CLOSE_LIMIT_S, f"closing blocked the window for {took:.1f} s"
    assert not window.isVisible() and not window.models_window.isVisible()

    close_down(window, hearth)  # what the app does once its window has gone
    assert _ended(host), "the engine host outlived the app"
    with Database.open(hearth.paths.database) as database:
        statuses = [
            message.status
            for conversation in ConversationStore(database).list_conversations()
            for message in ConversationStore(database).active_path(conversation.id)
        ]
    assert "streaming" not in statuses and statuses[-1] == "stopped"


def _ended(pid: int) -> bool:
    """The process is gone, or a zombie whose threads have all exited (llama.cpp's
    threads outlive the main one by a moment: until then it is still ending)."""
    try:
        process = psutil.Process(pid)
        return process.status() == psutil.STATUS_ZOMBIE and process.num_threads() <= 1
    except psutil.NoSuchProcess:
        return True
