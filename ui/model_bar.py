"""The toolbar's model area: which model is loaded, on what, and loading progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from app.library.local_models import LocalModel

OPEN_FILE = "__open_file__"
PICKER_TIP = "The model to chat with"


class ModelBar(QWidget):
    """Signals: ``model_chosen(str path)``, ``open_file_requested()``,
    ``cancel_load_requested()``, ``settings_requested()``."""

    model_chosen = Signal(str)
    open_file_requested = Signal()
    cancel_load_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picker = QComboBox(self)
        self.picker.setMinimumWidth(260)
        self.picker.setAccessibleName("Model")
        self.picker.setToolTip(PICKER_TIP)
        self.backend_label = QLabel(self)
        self.backend_label.setObjectName("backend")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(160)
        self.progress.setFormat("Loading %p%")
        self.cancel_button = QPushButton("Cancel", self)
        self.settings_button = QPushButton("Instructions && settings…", self)
        self.settings_button.setToolTip("Custom instructions, sampling and context for this model")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Model:", self))
        layout.addWidget(self.picker)
        layout.addWidget(self.backend_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        layout.addWidget(self.settings_button)
        self.progress.hide()
        self.cancel_button.hide()
        self._current_path: str | None = None
        self.picker.activated.connect(self._activated)
        self.cancel_button.clicked.connect(self.cancel_load_requested)
        self.settings_button.clicked.connect(self.settings_requested)

    def set_models(self, models: list[LocalModel], current: str | None) -> None:
        self.picker.blockSignals(True)
        self.picker.clear()
        for model in models:
            label = model.name + (" (starter)" if model.is_starter else "")
            self.picker.addItem(label, str(model.path))
            self.picker.setItemData(self.picker.count() - 1, str(model.path), 3)  # tooltip
        if current and self.picker.findData(current) < 0:
            self.picker.addItem(Path(current).stem, current)
        self.picker.insertSeparator(self.picker.count())
        self.picker.addItem("Open a GGUF file…", OPEN_FILE)
        self.picker.blockSignals(False)
        self.show_current(current)

    def show_current(self, path: str | None) -> None:
        self._current_path = path
        index = self.picker.findData(path) if path else -1
        self.picker.blockSignals(True)
        self.picker.setCurrentIndex(index)
        self.picker.blockSignals(False)

    def set_loading(self, fraction: float | None) -> None:
        loading = fraction is not None
        self.progress.setVisible(loading)
        self.cancel_button.setVisible(loading)
        self.picker.setEnabled(not loading)
        if fraction is not None:
            self.progress.setValue(int(fraction * 100))

    def set_template_note(self, note: str) -> None:
        """Adds to the picker's tooltip how Hearth adapted the loaded model's template."""
        self.picker.setToolTip(f"{PICKER_TIP}\n\n{note}" if note else PICKER_TIP)

    def set_backend(self, text: str) -> None:
        self.backend_label.setText(text)

    def _activated(self, index: int) -> None:
        data = self.picker.itemData(index)
        if data == OPEN_FILE:
            self.show_current(self._current_path)
            self.open_file_requested.emit()
        elif data and data != self._current_path:
            self.model_chosen.emit(str(data))
