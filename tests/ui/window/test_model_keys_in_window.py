"""Two repositories' files of the same name keep their own instructions in the window.

``ggml-model-Q4_K_M.gguf`` from two repos used to share one settings row (keyed by the
bare file name). Here each gets its own instructions through the real settings dialog,
and the names shown stay short: the model's name, not its key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt

from app.store.records import ModelSettings
from tests.support.settings_dialog import when_settings_dialog_opens
from tests.support.tiny_gguf import write_tiny_llama
from tests.ui.window.conftest import LOAD_TIMEOUT_MS
from tests.ui.window.helpers import last_reply, type_and_send, wait_for_reply
from ui.main_window import MainWindow
from ui.settings import ModelSettingsDialog
from ui.sidebar.conversation_model import ConversationRole

SHARED = "ggml-model-Q4_K_M.gguf"


def choose_model(qtbot, window: MainWindow, path: Path) -> None:
    """Picks ``path`` in the model picker with the arrow keys, and waits until it is loaded."""
    picker = window.model_bar.picker
    qtbot.waitUntil(lambda: picker.findData(str(path)) >= 0, timeout=LOAD_TIMEOUT_MS)
    target = picker.findData(str(path))
    picker.setFocus()
    key = Qt.Key.Key_Down if target > picker.currentIndex() else Qt.Key.Key_Up
    while picker.currentIndex() != target:
        # Each step loads the model it lands on, as it does for a person.
        qtbot.waitUntil(picker.isEnabled, timeout=LOAD_TIMEOUT_MS)
        qtbot.keyClick(picker, key)
    qtbot.waitUntil(
        lambda: (
            picker.isEnabled()
            and window.hearth.engine.info is not None
            and window.hearth.engine.info.model_path == str(path)
            and window.chat.model_ready
        ),
        timeout=LOAD_TIMEOUT_MS,
    )


def in_settings_dialog(qtbot, window: MainWindow, act: Callable[[ModelSettingsDialog], None]):
    """Opens the loaded model's settings with its button and runs ``act`` in the dialog."""
    seen: list[str] = []

    def look_then_act(dialog: ModelSettingsDialog) -> None:
        seen.append(dialog.system_prompt_edit.toPlainText())
        act(dialog)

    when_settings_dialog_opens(look_then_act)
    qtbot.mouseClick(window.model_bar.settings_button, Qt.MouseButton.LeftButton)
    assert seen, "the settings dialog did not open"
    return seen[0]


def type_instructions(qtbot, text: str) -> Callable[[ModelSettingsDialog], None]:
    def act(dialog: ModelSettingsDialog) -> None:
        edit = dialog.system_prompt_edit
        qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(edit, text)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    return act


def instructions_shown(window: MainWindow) -> str:
    label = window.chat_view.instructions_label
    return label.text() if label.isVisible() else ""


def test_same_named_files_of_two_repos_keep_their_own_instructions(qtbot, open_window):
    window = open_window()
    models = window.hearth.paths.models
    alice = models / "alice" / "tiny-GGUF" / SHARED
    bob = models / "bob" / "tiny-GGUF" / SHARED
    for path in (alice, bob):
        path.parent.mkdir(parents=True)
        write_tiny_llama(path)
        # Short replies from the random-weight model (saved as the user would).
        key = window.hearth.model_key(path)
        window.hearth.model_settings.save(ModelSettings(model_key=key, max_tokens=4))
    window.refresh_models()

    choose_model(qtbot, window, alice)
    assert in_settings_dialog(qtbot, window, type_instructions(qtbot, "Answer as Alice.")) == ""
    assert "Answer as Alice." in instructions_shown(window)

    choose_model(qtbot, window, bob)
    assert instructions_shown(window) == ""
    assert in_settings_dialog(qtbot, window, type_instructions(qtbot, "Answer as Bob.")) == ""
    assert "Answer as Bob." in instructions_shown(window)

    choose_model(qtbot, window, alice)
    assert "Answer as Alice." in instructions_shown(window)
    assert in_settings_dialog(qtbot, window, lambda dialog: None) == "Answer as Alice."

    stored = {key: window.hearth.model_settings.get(key).system_prompt for key in (
        f"alice/tiny-GGUF/{SHARED}", f"bob/tiny-GGUF/{SHARED}"
    )}  # fmt: skip
    assert stored == {
        f"alice/tiny-GGUF/{SHARED}": "Answer as Alice.",
        f"bob/tiny-GGUF/{SHARED}": "Answer as Bob.",
    }

    # The reply and the chat carry the key; what is shown is the model's name.
    type_and_send(qtbot, window, "Hello")
    wait_for_reply(qtbot, window)
    assert last_reply(window).message.model == f"alice/tiny-GGUF/{SHARED}"
    assert last_reply(window).author_label.text() == "<b>ggml-model-Q4_K_M</b>"
    sidebar = window.sidebar.list_model
    qtbot.waitUntil(lambda: sidebar.rowCount() == 1)
    conversation = sidebar.index(0).data(ConversationRole.CONVERSATION)
    assert conversation.model == f"alice/tiny-GGUF/{SHARED}"
    assert sidebar.index(0).data(ConversationRole.SUBTITLE).startswith("ggml-model-Q4_K_M · ")
