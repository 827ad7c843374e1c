"""The per-model settings dialog, typed into and clicked like a user would, on a real store."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QWidget
from pytestqt.qtbot import QtBot

from app.store import ModelSettings, ModelSettingsStore
from tests.support.settings_dialog import when_settings_dialog_opens
from ui.settings import ModelSettingsDialog, edit_model_settings

MODEL_KEY = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q8_0.gguf"


def _replace_text(qtbot: QtBot, field: QWidget, text: str) -> None:
    """Select what is in the field and type over it."""
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text:
        qtbot.keyClicks(field, text)
    else:
        qtbot.keyClick(field, Qt.Key.Key_Delete)


def _typed_number(spin: QAbstractSpinBox, value: float) -> str:
    """How the number is typed in the user's locale (a comma in some)."""
    return spin.locale().toString(value, "f", 2)


def test_typing_and_save_stores_the_new_values(qtbot: QtBot, store: ModelSettingsStore) -> None:
    def interact(dialog: ModelSettingsDialog) -> None:
        qtbot.keyClicks(dialog.system_prompt_edit, "Answer like a pirate.")
        _replace_text(qtbot, dialog.temperature_spin, _typed_number(dialog.temperature_spin, 1.3))
        _replace_text(qtbot, dialog.seed_edit, "42")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    when_settings_dialog_opens(interact)
    saved = edit_model_settings(None, store, MODEL_KEY, "SmolLM2 135M", 8192)

    stored = store.get(MODEL_KEY)
    assert stored.system_prompt == "Answer like a pirate."
    assert stored.temperature == pytest.approx(1.3)
    assert stored.seed == 42
    assert stored.top_p == pytest.approx(0.95)  # untouched fields keep their values
    assert saved == stored


def test_cancel_saves_nothing(qtbot: QtBot, store: ModelSettingsStore) -> None:
    def interact(dialog: ModelSettingsDialog) -> None:
        qtbot.keyClicks(dialog.system_prompt_edit, "Never saved")
        _replace_text(qtbot, dialog.temperature_spin, _typed_number(dialog.temperature_spin, 0.1))
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    when_settings_dialog_opens(interact)
    saved = edit_model_settings(None, store, MODEL_KEY, "SmolLM2 135M", 8192)

    assert saved is None
    assert store.saved_model_keys() == []
    assert store.get(MODEL_KEY) == ModelSettings(model_key=MODEL_KEY)


def test_the_dialog_opens_with_the_saved_values(qtbot: QtBot, store: ModelSettingsStore) -> None:
    store.save(
        ModelSettings(
            model_key=MODEL_KEY,
            system_prompt="Be brief.",
            temperature=0.2,
            seed=7,
            context_length=4096,
            gpu_layers=999,
            chat_template_override="{{ messages }}",
        )
    )
    seen: dict[str, str] = {}

    def interact(dialog: ModelSettingsDialog) -> None:
        seen["title"] = dialog.windowTitle()
        seen["prompt"] = dialog.system_prompt_edit.toPlainText()
        seen["seed"] = dialog.seed_edit.text()
        seen["context"] = dialog.context_spin.text()
        seen["gpu"] = dialog.gpu_layers_spin.text()
        seen["template"] = dialog.template_edit.toPlainText()
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    when_settings_dialog_opens(interact)
    edit_model_settings(None, store, MODEL_KEY, "SmolLM2 135M", 8192)

    assert seen == {
        "title": "Settings for SmolLM2 135M",
        "prompt": "Be brief.",
        "seed": "7",
        "context": "4096 tokens",
        "gpu": "All",
        "template": "{{ messages }}",
    }


@pytest.fixture
def dialog(qtbot: QtBot) -> ModelSettingsDialog:
    current = ModelSettings(
        model_key=MODEL_KEY,
        system_prompt="Old instructions",
        temperature=1.5,
        top_k=5,
        seed=123,
        max_tokens=64,
        context_length=2048,
        gpu_layers=10,
        chat_template_override="custom",
    )
    shown = ModelSettingsDialog(current, "SmolLM2 135M", 8192)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_reset_puts_the_defaults_back(qtbot: QtBot, dialog: ModelSettingsDialog) -> None:
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)

    assert dialog.system_prompt_edit.toPlainText() == ""
    assert dialog.temperature_spin.text() == _typed_number(dialog.temperature_spin, 0.7)
    assert dialog.seed_edit.text() == ""
    assert dialog.context_spin.text() == "Model default"
    assert dialog.gpu_layers_spin.text() == "Auto"
    assert dialog.template_edit.toPlainText() == ""
    assert dialog.settings() == ModelSettings(model_key=MODEL_KEY)
    assert dialog.isVisible()  # reset only fills in; Save is still up to the user


def test_empty_seed_means_random(qtbot: QtBot, dialog: ModelSettingsDialog) -> None:
    assert dialog.settings().seed == 123

    _replace_text(qtbot, dialog.seed_edit, "")

    assert dialog.seed_edit.text() == ""
    assert dialog.seed_edit.placeholderText() == "Random"
    assert dialog.settings().seed is None


def test_seed_takes_digits_only(qtbot: QtBot, dialog: ModelSettingsDialog) -> None:
    _replace_text(qtbot, dialog.seed_edit, "4x2")

    assert dialog.seed_edit.text() == "42"
    assert dialog.settings().seed == 42


def test_gpu_layers_auto_all_or_a_number(qtbot: QtBot, dialog: ModelSettingsDialog) -> None:
    spin = dialog.gpu_layers_spin
    assert dialog.settings().gpu_layers == 10

    _replace_text(qtbot, spin, "Auto")
    assert dialog.settings().gpu_layers is None

    _replace_text(qtbot, spin, "all")
    assert dialog.settings().gpu_layers == 999

    _replace_text(qtbot, spin, "24")
    assert dialog.settings().gpu_layers == 24

    qtbot.keyClick(spin, Qt.Key.Key_Down)
    assert dialog.settings().gpu_layers == 23


def test_context_length_stops_at_the_trained_length(
    qtbot: QtBot, dialog: ModelSettingsDialog
) -> None:
    spin = dialog.context_spin
    assert spin.maximum() == 8192

    _replace_text(qtbot, spin, "8192")
    assert dialog.settings().context_length == 8192

    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert dialog.settings().context_length == 8192

    _replace_text(qtbot, spin, "0")
    assert dialog.settings().context_length is None


def test_blank_template_means_none_and_every_sampling_field_explains_itself(
    qtbot: QtBot, dialog: ModelSettingsDialog
) -> None:
    _replace_text(qtbot, dialog.template_edit, "   ")
    assert dialog.settings().chat_template_override is None

    for field in (
        dialog.temperature_spin,
        dialog.top_p_spin,
        dialog.top_k_spin,
        dialog.min_p_spin,
        dialog.repeat_penalty_spin,
        dialog.seed_edit,
        dialog.max_tokens_spin,
        dialog.context_spin,
        dialog.gpu_layers_spin,
        dialog.system_prompt_edit,
        dialog.template_edit,
    ):
        assert len(field.toolTip()) > 40, field.accessibleName()
