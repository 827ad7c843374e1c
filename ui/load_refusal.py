"""The question asked when a model does not fit: the numbers, then load anyway or not.

The window shows it when the preflight check (:mod:`app.library.preflight`) refuses a
model. Nothing has loaded at that point and nothing will unless the user picks one of
the ways to load it anyway; Cancel (the default button, and Esc) keeps the model in use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.library.preflight import LoadChoice, ModelDoesNotFit

ADVICE = (
    "Loading it anyway can make this computer very slow while the model runs, and it may"
    " still fail. A smaller quantization of the same model, or a shorter context in its"
    " settings, needs less memory."
)
BUTTON_TOOLTIPS = {
    LoadChoice.CPU: "Run it on the processor from RAM: the slowest way, but it does not need"
    " graphics memory",
    LoadChoice.PARTLY_GPU: "Put as many layers as fit on the graphics card and the rest in RAM",
}


def _plain_label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)  # file names are not markup
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class LoadRefusalDialog(QDialog):
    """Signals: ``choice_made(object)``: the :class:`LoadChoice` picked (not sent on Cancel)."""

    choice_made = Signal(object)

    def __init__(self, refusal: ModelDoesNotFit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refusal = refusal
        self.choice: LoadChoice | None = None
        self.setWindowTitle("This model does not fit")
        name = Path(refusal.model_path).name if refusal.model_path else refusal.estimate.name
        self.heading = _plain_label(
            f"{name} was not loaded: it needs more memory than this computer has free.", self
        )
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.numbers = _plain_label(str(refusal), self)
        self.numbers.setObjectName("numbers")
        self.advice = _plain_label(ADVICE, self)

        buttons = QDialogButtonBox(self)
        self.choice_buttons: dict[LoadChoice, QPushButton] = {}
        for choice in refusal.choices:
            button = buttons.addButton(choice.label, QDialogButtonBox.ButtonRole.AcceptRole)
            button.setToolTip(BUTTON_TOOLTIPS.get(choice, ""))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
            self.choice_buttons[choice] = button
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.numbers)
        layout.addWidget(self.advice)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _choose(self, choice: LoadChoice) -> None:
        self.choice = choice
        self.choice_made.emit(choice)
        self.accept()


def ask_load_anyway(
    parent: QWidget, refusal: ModelDoesNotFit, on_choice: Callable[[LoadChoice], None]
) -> LoadRefusalDialog:
    """Shows the dialog over ``parent`` (window-modal, returns at once)."""
    dialog = LoadRefusalDialog(refusal, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.choice_made.connect(on_choice)
    dialog.open()
    dialog.cancel_button.setFocus()
    return dialog
