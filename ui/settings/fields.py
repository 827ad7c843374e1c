"""Input fields with an "automatic" choice: the GPU layer count and the random seed.

:class:`GpuLayersSpinBox` shows "Auto" (``None``), a number of layers, or "All" (999);
:class:`SeedField` is empty for a random seed (``None``) or holds a number.
"""

from __future__ import annotations

from PySide6.QtGui import QIntValidator, QValidator
from PySide6.QtWidgets import QLineEdit, QSpinBox, QWidget

# llama.cpp reads 0xFFFFFFFF as "random", and some bindings take a signed 32-bit seed.
MAX_SEED = 2**31 - 1


class GpuLayersSpinBox(QSpinBox):
    """0..999 layers, with "Auto" below 0 and "All" at 999 (more than any model has)."""

    AUTO = -1
    ALL = 999
    _AUTO_TEXT = "Auto"
    _ALL_TEXT = "All"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(self.AUTO, self.ALL)
        # Qt shows this text at the minimum, which is the "Auto" value.
        self.setSpecialValueText(self._AUTO_TEXT)

    def layers(self) -> int | None:
        """``None`` for Auto, else the number of layers (999 = all)."""
        value = self.value()
        return None if value == self.AUTO else value

    def set_layers(self, layers: int | None) -> None:
        self.setValue(self.AUTO if layers is None else max(0, min(layers, self.ALL)))

    def textFromValue(self, value: int) -> str:
        if value == self.ALL:
            return self._ALL_TEXT
        return super().textFromValue(value)

    def valueFromText(self, text: str) -> int:
        word = text.strip().lower()
        if word == self._ALL_TEXT.lower():
            return self.ALL
        if word == self._AUTO_TEXT.lower():
            return self.AUTO
        return super().valueFromText(text)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        word = text.strip().lower()
        names = (self._ALL_TEXT.lower(), self._AUTO_TEXT.lower())
        if word in names:
            return QValidator.State.Acceptable, text, pos
        if word and any(name.startswith(word) for name in names):
            return QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)


class SeedField(QLineEdit):
    """A whole number, or empty for a new random seed each reply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Random")
        self.setValidator(QIntValidator(0, MAX_SEED, self))
        self.setClearButtonEnabled(True)

    def seed(self) -> int | None:
        text = self.text().strip()
        if not (text.isascii() and text.isdigit()):
            return None
        return min(int(text), MAX_SEED)

    def set_seed(self, seed: int | None) -> None:
        self.setText("" if seed is None else str(seed))
