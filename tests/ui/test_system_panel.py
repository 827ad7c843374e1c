"""The System panel: the machine, the engine build and where the loaded model runs.

On its own with recorded machines (a CUDA PC, a CPU-only laptop), and in the real
window, opened from its toolbar button with the starter model loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolBar

from app.engine.protocol import ModelInfo
from app.hardware import MachineInfo, describe_machine, detect_machine, load_machine
from app.hearth import Hearth
from app.paths import hearth_paths
from ui.main_window import MainWindow
from ui.system_panel import LOOKING, SystemPanel

MACHINES = Path(__file__).parents[1] / "app" / "hardware" / "machines"
CUDA_REASON = "All 33 layers on the NVIDIA GeForce RTX 4090 (4.8 of 24.0 GB)"


def recorded(name: str) -> MachineInfo:
    return load_machine(MACHINES / f"{name}.json")


def model_info(**changes) -> ModelInfo:
    values = {
        "model_path": "/models/Meta-Llama-3-8B-Instruct.Q4_K_M.gguf",
        "name": "Meta Llama 3 8B Instruct",
        "n_ctx": 8192,
        "n_ctx_train": 8192,
        "n_layers": 32,
        "n_gpu_layers": -1,
        "backend": "CUDA",
        "system_info": "CUDA : ARCHS = 890 | CPU : AVX2 = 1 |",
        "template_source": "model",
        "load_seconds": 2.4,
        "offload_reason": CUDA_REASON,
    }
    values.update(changes)
    return ModelInfo(**values)


def open_panel(qtbot, model: ModelInfo | None, probe) -> SystemPanel:
    panel = SystemPanel(model, probe=probe)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.machine_box.toPlainText() != LOOKING)
    return panel


def test_shows_the_machine_the_cuda_build_and_where_the_model_runs(qtbot):
    machine = recorded("linux_rtx4090_24gb_ram64gb")
    panel = open_panel(qtbot, model_info(), lambda: machine)
    assert panel.machine is machine
    assert panel.machine_box.toPlainText() == describe_machine(machine)
    engine = panel.engine_box.toPlainText()
    assert "Backends:     CUDA + CPU" in engine
    assert "GPU offload:  yes" in engine
    assert engine.splitlines()[0] == "llama-cpp-python 0.3.36"
    model = panel.model_box.toPlainText()
    assert "Runs on:      CUDA" in model
    assert "GPU layers:   33 of 33" in model
    assert f"Why:          {CUDA_REASON}" in model


def test_a_cpu_fallback_shows_the_backend_really_used(qtbot):
    reason = "On the CPU: loading on the GPU failed (out of memory)"
    info = model_info(backend="CPU", n_gpu_layers=0, offload_reason=reason)
    panel = open_panel(qtbot, info, lambda: recorded("linux_rtx4090_24gb_ram64gb"))
    model = panel.model_box.toPlainText()
    assert "Runs on:      CPU" in model and "GPU layers:   0 of 33" in model
    assert f"Why:          {reason}" in model


def test_without_a_model_or_an_engine(qtbot):
    laptop = recorded("laptop_cpu_only_16gb")
    machine = MachineInfo(**{**laptop.__dict__, "engine": None})
    panel = open_panel(qtbot, None, lambda: machine)
    assert panel.model_box.toPlainText() == "No model is loaded."
    assert panel.engine_box.toPlainText().startswith("llama-cpp-python is not installed")


def test_a_failed_probe_is_reported_not_left_blank(qtbot):
    def broken() -> MachineInfo:
        raise OSError("no /proc here")

    panel = open_panel(qtbot, None, broken)
    assert panel.machine_box.toPlainText() == "Could not look at this computer: no /proc here"
    assert panel.machine is None


def test_copy_puts_everything_on_the_clipboard(qtbot):
    panel = open_panel(qtbot, model_info(), lambda: recorded("mac_m2max_64gb"))
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == panel.text()
    assert "Apple M2 Max" in copied and CUDA_REASON in copied


@pytest.fixture
def window(qtbot, hearth_home: Path) -> Iterator[MainWindow]:
    hearth = Hearth.open(hearth_paths())
    window = MainWindow(hearth)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    qtbot.waitUntil(lambda: window.chat.model_ready, timeout=60_000)
    yield window
    window.close()
    hearth.close()


def test_the_toolbar_button_opens_the_panel_for_this_machine(qtbot, window: MainWindow):
    bars = window.findChildren(QToolBar)
    button = next(b for b in (bar.widgetForAction(window.system_action) for bar in bars) if b)
    assert button.isVisible() and button.text() == "System"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(SystemPanel) is not None)
    panel = window.findChild(SystemPanel)
    assert panel is not None and panel.isVisible()
    qtbot.waitUntil(lambda: panel.machine is not None, timeout=30_000)

    this_machine = detect_machine()
    shown = panel.machine_box.toPlainText().splitlines()
    assert shown[:2] == describe_machine(this_machine).splitlines()[:2]  # computer, processor
    backends = " + ".join(b.upper() for b in this_machine.engine.backends)
    assert f"Backends:     {backends}" in panel.engine_box.toPlainText()
    info = window.hearth.engine.info
    assert info is not None and info.offload_reason
    model = panel.model_box.toPlainText()
    assert f"Runs on:      {info.backend}" in model
    assert f"Why:          {info.offload_reason}" in model
    assert f"File:         {info.model_path}" in model

    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(SystemPanel) is None)
