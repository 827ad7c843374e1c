"""The settings dialog's thinking defaults, output grammar, and what the template cannot do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from app.engine.protocol import ModelInfo
from app.store import ModelSettings, ModelSettingsStore
from tests.support.settings_dialog import shown
from ui.settings import ModelSettingsDialog

MODEL_KEY = "gemma-2-2b-it-Q4_K_M.gguf"
GRAMMAR = 'root ::= "yes" | "no"'
NO_SYSTEM = (
    "This model's template has no system role: your instructions are added to the top of "
    "your first message."
)


def _info(**fields: object) -> ModelInfo:
    base: dict[str, object] = {
        "model_path": "/models/" + MODEL_KEY,
        "name": "Gemma 2 2B",
        "n_ctx": 4096,
        "n_ctx_train": 8192,
        "n_layers": 26,
        "n_gpu_layers": 0,
        "backend": "CPU",
        "system_info": "",
        "template_source": "model",
        "load_seconds": 1.0,
    }
    return ModelInfo(**{**base, **fields})  # type: ignore[arg-type]


def _open(qtbot: QtBot, settings: ModelSettings, info: ModelInfo | None) -> ModelSettingsDialog:
    return shown(qtbot, ModelSettingsDialog(settings, "Gemma 2 2B", 8192, info=info))


def _choose(qtbot: QtBot, box: QComboBox, text: str) -> None:
    """Pick an entry with the keyboard, as a user tabbing through the form would."""
    box.setFocus()
    while box.currentText() != text:
        before = box.currentIndex()
        qtbot.keyClick(box, Qt.Key.Key_Down)
        assert box.currentIndex() != before, f"{text!r} is not offered"


def _texts(dialog: ModelSettingsDialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel) if label.isVisible()]


def test_thinking_effort_and_grammar_are_chosen_and_saved(
    qtbot: QtBot, store: ModelSettingsStore
) -> None:
    info = _info(supports_thinking_toggle=True, supports_effort=True)
    dialog = _open(qtbot, store.get(MODEL_KEY), info)
    assert dialog.thinking_box.currentText() == "Model default"
    assert dialog.effort_box.currentText() == "Model default"

    _choose(qtbot, dialog.thinking_box, "Off")
    _choose(qtbot, dialog.effort_box, "High")
    dialog.grammar_edit.setFocus()
    qtbot.keyClicks(dialog.grammar_edit, GRAMMAR)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    store.save(dialog.settings())

    stored = store.get(MODEL_KEY)
    assert (stored.thinking, stored.effort, stored.grammar) == (False, "high", GRAMMAR)
    again = _open(qtbot, stored, info)
    assert again.thinking_box.currentText() == "Off"
    assert again.effort_box.currentText() == "High"
    assert again.grammar_edit.toPlainText() == GRAMMAR
    qtbot.mouseClick(again.reset_button, Qt.MouseButton.LeftButton)
    reset = again.settings()
    assert (reset.thinking, reset.effort, reset.grammar) == (None, None, None)


def test_a_template_without_a_system_role_is_said_plainly(qtbot: QtBot) -> None:
    settings = ModelSettings(model_key=MODEL_KEY, system_prompt="Be brief.")
    refusing = _open(qtbot, settings, _info(supports_system=False))
    assert NO_SYSTEM in _texts(refusing)
    accepting = _open(qtbot, settings, _info(supports_system=True))
    assert NO_SYSTEM not in _texts(accepting)


def test_switches_the_template_lacks_are_greyed_out_with_a_reason(qtbot: QtBot) -> None:
    dialog = _open(qtbot, ModelSettings(model_key=MODEL_KEY), _info())
    assert not dialog.thinking_box.isEnabled() and not dialog.effort_box.isEnabled()
    assert (
        "This model's chat template offers neither a thinking switch nor an effort setting."
        in _texts(dialog)
    )
    toggle_only = _open(
        qtbot, ModelSettings(model_key=MODEL_KEY), _info(supports_thinking_toggle=True)
    )
    assert toggle_only.thinking_box.isEnabled() and not toggle_only.effort_box.isEnabled()
    assert "This model's chat template offers no effort setting." in _texts(toggle_only)


def test_the_grammar_and_thinking_rows_explain_themselves(qtbot: QtBot) -> None:
    dialog = _open(qtbot, ModelSettings(model_key=MODEL_KEY), None)
    for field in (dialog.thinking_box, dialog.effort_box, dialog.grammar_edit):
        assert len(field.toolTip()) > 40, field.accessibleName()
    assert dialog.thinking_box.isEnabled()  # no model loaded: nothing to grey out
