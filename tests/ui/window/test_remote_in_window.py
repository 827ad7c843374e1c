"""A remote server in Hearth's window: added through "Add a server…", its models in the
picker marked remote, a reply streamed from it and stored; and at start-up the window
contacts no server the user did not pick."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from app.library.starter import STARTER_NAME
from app.paths import hearth_paths
from app.remote.connect import add_server
from app.server.config import ServerConfig
from app.settings import SettingsFile
from tests.support.api_server import serving
from tests.support.remote_servers import memory_keyring, stalling_server
from tests.ui.window.conftest import LOAD_TIMEOUT_MS
from tests.ui.window.helpers import (
    last_reply,
    type_and_send,
    wait_for_reply,
    wait_for_streamed_text,
)
from ui.main_window import MainWindow
from ui.model_bar import ADD_SERVER

KEY = "sk-window-test"


def pick(qtbot, window: MainWindow, data: str, *, until=None) -> None:  # type: ignore[no-untyped-def]
    """Moves through the model picker with the arrow keys to the entry for ``data``
    (or, for an entry that acts rather than stays chosen, until ``until()`` holds)."""
    picker = window.model_bar.picker
    target = picker.findData(data)
    assert target >= 0, f"{data} is not in the model picker"
    picker.setFocus()
    key = Qt.Key.Key_Down if target > picker.currentIndex() else Qt.Key.Key_Up
    done = until or (lambda: picker.currentIndex() == target)
    while not done():
        qtbot.keyClick(picker, key)


def test_add_a_server_pick_its_model_and_chat(qtbot, window: MainWindow, tmp_path: Path):
    with (
        memory_keyring() as keychain,
        serving(tmp_path / "workstation", ServerConfig(api_key=KEY)) as served,
    ):
        pick(qtbot, window, ADD_SERVER, until=lambda: window.add_server_dialog is not None)
        dialog = window.add_server_dialog
        assert dialog is not None
        qtbot.waitExposed(dialog)
        qtbot.keyClicks(dialog.url_edit, served.base_url)
        qtbot.keyClicks(dialog.name_edit, "workstation")
        qtbot.keyClicks(dialog.key_edit, KEY)
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=LOAD_TIMEOUT_MS)
        assert list(keychain.passwords.values()) == [KEY]

        ref = f"remote:workstation/{STARTER_NAME}"
        picker = window.model_bar.picker
        qtbot.waitUntil(lambda: picker.findData(ref) >= 0, timeout=LOAD_TIMEOUT_MS)
        assert picker.itemText(picker.findData(ref)) == f"{STARTER_NAME} — workstation (remote)"
        settings = window.hearth.model_settings
        settings.save(replace(settings.get(ref), max_tokens=64))

        pick(qtbot, window, ref)
        engine = window.hearth.engine
        qtbot.waitUntil(
            lambda: (
                picker.isEnabled()
                and engine.info is not None
                and engine.info.model_path == ref
                and window.chat.model_ready
            ),
            timeout=LOAD_TIMEOUT_MS,
        )
        assert window.model_bar.backend_label.text() == "on workstation (remote)"

        type_and_send(qtbot, window, "Tell me a long story about a lighthouse.")
        wait_for_streamed_text(qtbot, window, 10)  # text shows while the reply streams
        shown = wait_for_reply(qtbot, window)

    assert shown.message.status == "complete"
    conversation_id = window.chat.conversation_id
    assert conversation_id is not None
    stored = window.hearth.conversations.active_path(conversation_id)[-1]
    assert stored.role == "assistant" and stored.model == ref and stored.status == "complete"
    assert stored.content.strip() and stored.content.split()[0] in last_reply(window).plain_text()
    assert stored.prompt_tokens and stored.completion_tokens and stored.tokens_per_s


def test_start_up_contacts_no_remote_server(qtbot, open_window, hearth_home: Path):
    paths = hearth_paths().ensure()
    with stalling_server() as server:
        add_server(paths.config, "box", server.base_url)
        listed = list(server.requests)
        # The last model used was the remote one: the window starts on a local model.
        SettingsFile(paths.settings_file).update(last_model="remote:box/stall-model")
        window = open_window()
        picker = window.model_bar.picker
        qtbot.waitUntil(lambda: picker.findData("remote:box/stall-model") >= 0)
        assert window.hearth.engine.info is not None
        assert window.hearth.engine.info.model_path != "remote:box/stall-model"
        assert server.requests == listed == ["GET /v1/models"]
