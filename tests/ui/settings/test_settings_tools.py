"""The settings dialog's tools: the model's default tools and "the model must call a
tool", clicked like a user would and saved on a real store."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QScrollArea

from app.store import ModelSettings
from ui.chat.tool_controls import OWN_TOOLS
from ui.settings import ModelSettingsDialog

MODEL_KEY = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q8_0.gguf"


def open_dialog(qtbot, settings: ModelSettings) -> ModelSettingsDialog:
    choices = [*OWN_TOOLS, ("files", "files")]
    dialog = ModelSettingsDialog(settings, "SmolLM2", 8192, tool_choices=choices)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def tick(qtbot, dialog: ModelSettingsDialog, box: QCheckBox) -> None:
    """Scrolls the dialog to the check box, as a user would, and clicks its box (a check
    box takes clicks on its box and words only)."""
    scroll = dialog.findChild(QScrollArea)
    assert scroll is not None
    scroll.ensureWidgetVisible(box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_default_tools_and_must_call_are_saved(qtbot, store):
    dialog = open_dialog(qtbot, store.get(MODEL_KEY))
    tools = dialog.tool_defaults
    assert list(tools.boxes) == ["calculator", "clock", "python", "files"]
    assert not any(box.isChecked() for box in tools.boxes.values())
    assert not tools.must_call_box.isChecked()

    for name in ("calculator", "files"):
        tick(qtbot, dialog, tools.boxes[name])
    tick(qtbot, dialog, tools.must_call_box)
    store.save(dialog.settings())

    saved = store.get(MODEL_KEY)
    assert (saved.tools, saved.tool_choice) == ("calculator,files", "required")


def test_saving_keeps_tools_the_dialog_does_not_list(qtbot, store):
    """A tool only the settings know (an add-on's, or a server since removed) stays."""
    current = ModelSettings(model_key=MODEL_KEY, tools="clock,delete_file", tool_choice="required")
    dialog = open_dialog(qtbot, current)
    tools = dialog.tool_defaults
    assert tools.boxes["delete_file"].isChecked() and tools.boxes["clock"].isChecked()
    assert tools.must_call_box.isChecked()
    assert dialog.settings() == current

    tick(qtbot, dialog, tools.must_call_box)
    tick(qtbot, dialog, tools.boxes["clock"])
    assert (dialog.settings().tools, dialog.settings().tool_choice) == ("delete_file", None)

    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    assert dialog.settings() == ModelSettings(model_key=MODEL_KEY)
