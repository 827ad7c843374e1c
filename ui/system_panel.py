"""The System panel: this computer, the engine build, and how the loaded model runs.

What a person (or a bug report) needs to see why a model runs where it runs: the
machine in :func:`describe_machine`'s words, the backends the installed llama.cpp
build has, and for the loaded model the load plan's reason and the backend it really
runs on (they differ when a GPU load failed and the engine fell back to the CPU).

The machine is probed afresh on the panel's :class:`~ui.background.BackgroundRunner` (a
few tenths of a second, more where a GPU is queried), so the panel opens at once and
fills in when the answer comes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.protocol import ModelInfo
from app.hardware import EngineBuild, MachineInfo, describe_machine, detect_machine
from app.hardware.describe import backend_label
from ui.background import BackgroundRunner, error_text

Probe = Callable[[], MachineInfo]
LOOKING = "Looking at this computer…"


def engine_text(engine: EngineBuild | None) -> str:
    """The engine build: version, backends, GPU offload, devices, llama.cpp's own line."""
    if engine is None:
        return "llama-cpp-python is not installed, or its library does not load."
    lines = [
        f"llama-cpp-python {engine.version}",
        f"Backends:     {' + '.join(backend_label(b) for b in engine.backends) or 'none'}",
        f"GPU offload:  {'yes' if engine.supports_gpu_offload else 'no'}",
    ]
    lines += [
        f"Device:       {device.name} ({device.description or device.kind})"
        for device in engine.devices
    ]
    if engine.system_info:
        lines.append(f"llama.cpp:    {engine.system_info.strip()}")
    return "\n".join(lines)


def model_text(info: ModelInfo | None) -> str:
    """The loaded model: where it runs and why."""
    if info is None:
        return "No model is loaded."
    total_layers = info.n_layers + 1  # llama.cpp counts the output layer too
    gpu_layers = total_layers if info.n_gpu_layers < 0 else info.n_gpu_layers
    lines = [
        f"Model:        {info.name}",
        f"File:         {info.model_path}",
        f"Runs on:      {info.backend}",
        f"GPU layers:   {min(gpu_layers, total_layers)} of {total_layers}",
        f"Why:          {info.offload_reason or 'no plan was recorded for this load'}",
        f"Context:      {info.n_ctx:,} tokens (trained for {info.n_ctx_train:,})",
        f"Loaded in:    {info.load_seconds:.1f} s",
    ]
    return "\n".join(lines)


def _text_box(text: str, parent: QWidget) -> QPlainTextEdit:
    box = QPlainTextEdit(text, parent)
    box.setReadOnly(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    return box


class SystemPanel(QDialog):
    """This computer and the engine, with a Copy button for bug reports.

    Signals: ``machine_shown()`` once the probed machine is on screen.
    """

    machine_shown = Signal()

    def __init__(
        self,
        model: ModelInfo | None,
        *,
        probe: Probe = detect_machine,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About this computer and Hearth's engine")
        self.machine: MachineInfo | None = None
        self.machine_box = _text_box(LOOKING, self)
        self.engine_box = _text_box(LOOKING, self)
        self.model_box = _text_box(model_text(model), self)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy all of this, for a bug report")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)

        layout = QVBoxLayout(self)
        for title, box, height in (
            ("This computer", self.machine_box, 170),
            ("Engine build", self.engine_box, 120),
            ("Loaded model", self.model_box, 130),
        ):
            heading = QLabel(title, self)
            font = heading.font()
            font.setBold(True)
            heading.setFont(font)
            box.setMinimumHeight(height)
            layout.addWidget(heading)
            layout.addWidget(box)
        layout.addWidget(buttons)
        self.resize(760, 620)

        self._runner = BackgroundRunner(self, max_threads=1, name="hearth-system-probe")
        self._runner.run(probe, on_done=self._show_machine, on_error=self._show_failure)

    def _show_machine(self, machine: MachineInfo) -> None:
        self.machine = machine
        self.machine_box.setPlainText(describe_machine(machine))
        self.engine_box.setPlainText(engine_text(machine.engine))
        self.machine_shown.emit()

    def _show_failure(self, error: Exception) -> None:
        # The panel says so rather than staying blank.
        self.machine_box.setPlainText(f"Could not look at this computer: {error_text(error)}")
        self.engine_box.setPlainText("")
        self.machine_shown.emit()

    def text(self) -> str:
        """Everything the panel shows, as plain text."""
        return "\n\n".join(
            box.toPlainText() for box in (self.machine_box, self.engine_box, self.model_box)
        )

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.text())


def show_system_panel(parent: QWidget, model: ModelInfo | None) -> SystemPanel:
    """Opens the panel over ``parent`` (not modal: it can stay open beside the chat)."""
    panel = SystemPanel(model, parent=parent)
    panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    panel.setWindowModality(Qt.WindowModality.NonModal)
    panel.show()
    return panel


__all__ = ["SystemPanel", "engine_text", "model_text", "show_system_panel"]
