"""Switching models in the real window: progress and Cancel, memory given back, and a
model that cannot fit refused before it loads, with the choice to load it anyway.

Models are picked the way a person does it with the keyboard: focus the model picker
and press the arrow keys. A refused model's fit is judged against a recorded machine
(a 16 GB laptop, or a gaming PC with a GPU) while the real engine does the loading.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from app.hardware import MachineInfo, load_machine
from app.hardware.units import MIB, format_gb
from app.library.preflight import LoadChoice
from tests.support.recorded_machine import use_recorded_machine
from tests.support.synthetic_gguf import LLAMA_70B, LLAMA_300M, scaled, write_synthetic_llama
from tests.support.tiny_gguf import write_tiny_llama
from tests.ui.window.conftest import LOAD_TIMEOUT_MS
from tests.ui.window.helpers import type_and_send, wait_for_reply
from ui.load_refusal import LoadRefusalDialog
from ui.main_window import MainWindow
from ui.system_panel import SystemPanel

MACHINES = Path(__file__).parents[2] / "app" / "hardware" / "machines"
SWITCHES = 10
RSS_SLACK = 50 * MIB


def recorded(name: str) -> MachineInfo:
    return load_machine(MACHINES / f"{name}.json")


def choose_model(qtbot, window: MainWindow, path: Path) -> None:
    """Moves through the model picker with the arrow keys until ``path`` is chosen."""
    picker = window.model_bar.picker
    target = picker.findData(str(path))
    assert target >= 0, f"{path.name} is not in the model picker"
    picker.setFocus()
    key = Qt.Key.Key_Down if target > picker.currentIndex() else Qt.Key.Key_Up
    while picker.currentIndex() != target and picker.isEnabled():
        qtbot.keyClick(picker, key)


def loaded_path(window: MainWindow) -> str | None:
    info = window.hearth.engine.info
    return str(Path(info.model_path).resolve()) if info else None


def wait_loaded(qtbot, window: MainWindow, path: Path) -> None:
    qtbot.waitUntil(
        lambda: window.model_bar.picker.isEnabled() and loaded_path(window) == str(path.resolve()),
        timeout=LOAD_TIMEOUT_MS,
    )


def click_system_button(qtbot, window: MainWindow) -> None:
    buttons = [bar.widgetForAction(window.system_action) for bar in window.findChildren(QToolBar)]
    button = next(b for b in buttons if b is not None)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def add_models(qtbot, window: MainWindow, *paths: Path) -> None:
    for path in paths:
        assert path.parent == window.hearth.paths.models
    # The folder is walked off the GUI thread; the picker follows when that is done.
    with qtbot.waitSignal(window.models_listed, timeout=LOAD_TIMEOUT_MS):
        window.refresh_models()


def refusal_dialog(qtbot, window: MainWindow) -> LoadRefusalDialog:
    qtbot.waitUntil(lambda: window.findChild(LoadRefusalDialog) is not None)
    dialog = window.findChild(LoadRefusalDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def living(pid: int | None) -> bool:
    if pid is None or not psutil.pid_exists(pid):
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def engine_hosts() -> set[int]:
    """This process's children running an engine host (multiprocessing spawn children)."""
    hosts = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "multiprocessing.spawn" in " ".join(child.cmdline()) and living(child.pid):
                hosts.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return hosts


@pytest.fixture
def models_dir(open_window) -> Iterator[tuple[MainWindow, Path]]:
    window = open_window(max_tokens=12)
    yield window, window.hearth.paths.models


def test_cancelling_a_switch_keeps_the_previous_model_usable(qtbot, models_dir):
    window, models = models_dir
    # About 770 MB of random Q4_0 weights: llama.cpp takes a couple of seconds to read it.
    slow = write_synthetic_llama(
        models / "slow-load-Q4_0.gguf", scaled(LLAMA_300M, n_layers=24), name="Slow Load Llama"
    )
    add_models(qtbot, window, slow)
    starter = loaded_path(window)
    host = window.hearth.engine.host_pid
    bar = window.model_bar

    choose_model(qtbot, window, slow)
    assert bar.progress.isVisible() and bar.cancel_button.isVisible()
    assert not bar.picker.isEnabled()
    qtbot.waitUntil(lambda: bar.progress.value() >= 5, timeout=LOAD_TIMEOUT_MS)  # reading weights
    loading_hosts = engine_hosts() - {host}
    assert loading_hosts  # the new model's own host is at work beside the old one
    qtbot.mouseClick(bar.cancel_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not bar.progress.isVisible(), timeout=LOAD_TIMEOUT_MS)
    assert window.statusBar().currentMessage() == "Loading was cancelled."
    assert not bar.cancel_button.isVisible() and bar.picker.isEnabled()
    assert bar.picker.currentData() == window.hearth.engine.info.model_path
    assert loaded_path(window) == starter and window.hearth.engine.host_pid == host
    assert not any(living(pid) for pid in loading_hosts)  # the half-loaded host is gone

    type_and_send(qtbot, window, "Say hello")
    reply = wait_for_reply(qtbot, window)
    assert reply.plain_text().strip()
    stored = window.hearth.conversations.get_message(reply.message.id)
    assert stored.status == "complete" and stored.error is None
    assert stored.model == Path(starter).name


def test_ten_switches_give_the_memory_back(qtbot, models_dir, starter_model: Path):
    window, models = models_dir
    second = Path(shutil.copy(starter_model, models / "SmolLM2-second-copy.gguf"))
    add_models(qtbot, window, second)
    starter = Path(loaded_path(window) or "")
    gui = psutil.Process()
    rss_before = gui.memory_info().rss
    previous_host = window.hearth.engine.host_pid

    for switch in range(SWITCHES):
        target = second if switch % 2 == 0 else starter
        choose_model(qtbot, window, target)
        wait_loaded(qtbot, window, target)
        host = window.hearth.engine.host_pid
        assert host != previous_host and not living(previous_host)  # its memory is back
        assert engine_hosts() == {host}
        previous_host = host

    rss_after = gui.memory_info().rss
    print(
        f"GUI process RSS: {rss_before / MIB:.1f} MB before, {rss_after / MIB:.1f} MB after"
        f" {SWITCHES} switches ({(rss_after - rss_before) / MIB:+.1f} MB)"
    )
    assert abs(rss_after - rss_before) <= RSS_SLACK
    type_and_send(qtbot, window, "Hello")
    assert wait_for_reply(qtbot, window).plain_text().strip()


# A 70B-wide model 3.5 times as deep: about 125 GB of weights, in a sparse file.
HUGE = scaled(LLAMA_70B, n_layers=280, size_label="250B")


def test_a_model_that_cannot_fit_is_refused_before_it_loads(qtbot, models_dir):
    window, models = models_dir
    huge = write_synthetic_llama(models / "huge-250B-Q4_0.gguf", HUGE, sparse=True)
    add_models(qtbot, window, huge)
    laptop = recorded("laptop_cpu_only_16gb")
    use_recorded_machine(window.hearth, laptop)
    starter = loaded_path(window)
    hosts = engine_hosts()
    host = window.hearth.engine.host_pid

    choose_model(qtbot, window, huge)
    dialog = refusal_dialog(qtbot, window)
    numbers = dialog.numbers.text()
    assert numbers.startswith("Does not fit: 250B Q4_0 at 4,096 tokens of context needs about")
    assert f"{format_gb(laptop.available_ram)} of RAM available" in numbers
    assert "huge-250B-Q4_0.gguf was not loaded" in dialog.heading.text()
    assert [b.text() for b in dialog.choice_buttons.values()] == ["Load on CPU anyway"]
    assert dialog.cancel_button.isDefault()
    # Nothing started loading: no new host, the old model still in place and shown.
    assert engine_hosts() == hosts and window.hearth.engine.host_pid == host
    assert loaded_path(window) == starter
    bar = window.model_bar
    assert not bar.progress.isVisible() and bar.picker.currentData() == starter

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(LoadRefusalDialog) is None)
    assert engine_hosts() == hosts and loaded_path(window) == starter
    type_and_send(qtbot, window, "Hello")
    assert wait_for_reply(qtbot, window).plain_text().strip()


def test_load_on_cpu_anyway_loads_the_refused_model(qtbot, models_dir):
    window, models = models_dir
    tiny = write_tiny_llama(models / "tiny-llama.gguf", name="Tiny Llama")
    add_models(qtbot, window, tiny)
    # The tiny model is real; the recorded machine has almost no memory to spare.
    use_recorded_machine(
        window.hearth, replace(recorded("laptop_cpu_only_16gb"), available_ram=200 * MIB)
    )

    choose_model(qtbot, window, tiny)
    dialog = refusal_dialog(qtbot, window)
    assert "200 MB of RAM available" in dialog.numbers.text()
    qtbot.mouseClick(dialog.choice_buttons[LoadChoice.CPU], Qt.MouseButton.LeftButton)

    wait_loaded(qtbot, window, tiny)
    info = window.hearth.engine.info
    assert info is not None and info.backend == "CPU" and info.n_gpu_layers == 0
    assert info.offload_reason.startswith("Loaded on the CPU as you chose, although it does not")
    assert window.model_bar.backend_label.text() == "on CPU"

    # The System panel tells the same story.
    click_system_button(qtbot, window)
    qtbot.waitUntil(lambda: window.findChild(SystemPanel) is not None)
    panel = window.findChild(SystemPanel)
    assert panel is not None
    assert f"Why:          {info.offload_reason}" in panel.model_box.toPlainText()
    panel.close()


def test_partly_on_gpu_is_offered_where_a_gpu_exists(qtbot, models_dir):
    window, models = models_dir
    tiny = write_tiny_llama(models / "tiny-llama.gguf", name="Tiny Llama")
    add_models(qtbot, window, tiny)
    gaming = recorded("gaming_rtx3070_8gb_ram32gb")
    use_recorded_machine(window.hearth, replace(gaming, available_ram=200 * MIB))

    choose_model(qtbot, window, tiny)
    dialog = refusal_dialog(qtbot, window)
    assert [b.text() for b in dialog.choice_buttons.values()] == [
        "Load on CPU anyway",
        "Partly on GPU",
    ]
    qtbot.mouseClick(dialog.choice_buttons[LoadChoice.PARTLY_GPU], Qt.MouseButton.LeftButton)

    wait_loaded(qtbot, window, tiny)
    info = window.hearth.engine.info
    assert info is not None
    # The recorded GPU takes every layer; this machine's engine has no GPU, so it runs on CPU.
    assert info.n_gpu_layers == -1 and info.backend == "CPU"
    assert info.offload_reason.startswith("Loaded with 3 of 3 layers on the GPU as you chose")
