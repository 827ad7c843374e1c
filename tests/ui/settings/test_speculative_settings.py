"""The settings dialog offers speculative decoding per model: the mode, and a draft model
chosen from the local models, saved and read back; the draft box is asked for only with
"Draft model", and Reset returns to the default."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.engine.speculative import DEFAULT_MODE, MODE_TITLES
from app.store import ModelSettings, ModelSettingsStore
from tests.support.settings_dialog import shown
from ui.settings import ModelSettingsDialog

MODEL_KEY = "bartowski/Qwen2.5-72B-Instruct-GGUF/Qwen2.5-72B-Instruct-Q4_K_M.gguf"
DRAFT_KEY = "Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf"
CHOICES = [("Qwen2.5 0.5B Instruct", DRAFT_KEY), ("SmolLM2 135M", "SmolLM2-135M.gguf")]


def _open(qtbot: QtBot, settings: ModelSettings) -> ModelSettingsDialog:
    return shown(qtbot, ModelSettingsDialog(settings, "Qwen2.5 72B", 32_768, draft_choices=CHOICES))


def _choose(qtbot: QtBot, box: QComboBox, text: str) -> None:
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home)
    while not box.currentText().startswith(text):
        before = box.currentIndex()
        qtbot.keyClick(box, Qt.Key.Key_Down)
        assert box.currentIndex() != before, f"{text!r} is not offered"


def test_a_draft_model_is_chosen_saved_and_read_back(qtbot: QtBot, store: ModelSettingsStore):
    dialog = _open(qtbot, store.get(MODEL_KEY))
    fields = dialog.speculative
    assert fields.mode_box.currentText() == f"Default ({MODE_TITLES[DEFAULT_MODE]})"
    assert not fields.draft_box.isEnabled()  # asked for only with a draft model

    _choose(qtbot, fields.mode_box, "Draft model")
    assert fields.draft_box.isEnabled()
    _choose(qtbot, fields.draft_box, "Qwen2.5 0.5B")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    store.save(dialog.settings())

    saved = store.get(MODEL_KEY)
    assert (saved.speculative, saved.draft_model) == ("draft", DRAFT_KEY)
    again = _open(qtbot, saved)
    assert again.speculative.mode_box.currentText() == "Draft model"
    assert again.speculative.draft_box.currentText() == "Qwen2.5 0.5B Instruct"

    qtbot.mouseClick(again.reset_button, Qt.MouseButton.LeftButton)
    reset = again.settings()
    assert reset.speculative is None and reset.draft_model is None


def test_prompt_lookup_and_off_are_saved_as_chosen(qtbot: QtBot, store: ModelSettingsStore):
    for title, mode in (("Prompt lookup", "lookup"), ("Off", "off")):
        dialog = _open(qtbot, store.get(MODEL_KEY))
        _choose(qtbot, dialog.speculative.mode_box, title)
        store.save(dialog.settings())
        assert store.get(MODEL_KEY).speculative == mode
