from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.hearth import Hearth
from app.library.imports import ImportRegistry
from app.paths import hearth_paths
from tests.support.recorded_machine import use_recorded_machine
from ui.application import close_down
from ui.main_window import MainWindow

STARTER_KEY = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOAD_TIMEOUT_MS = 60_000
GB = 2**30
MB = 2**20


def memory_free(hearth: Hearth, free: int) -> None:
    """From now on Hearth reads ``free`` bytes of RAM free and no GPU, at every plan and
    load (this machine's processor otherwise), as such a machine would report them."""
    use_recorded_machine(hearth, replace(hearth.machine(), available_ram=free, gpus=()))


def host_alive(pid: int | None) -> bool:
    """Whether engine host ``pid`` is running (not gone, not a zombie)."""
    if pid is None:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture
def arena_window_of(qtbot, hearth_home: Path) -> Iterator[Callable[..., MainWindow]]:
    """Opens Hearth's window on a private home with the starter model loaded; with
    ``gemma`` Gemma 3 270M is imported too. Replies are kept to ``max_tokens``."""
    opened: list[tuple[MainWindow, Hearth]] = []

    def open_(max_tokens: int = 24, gemma: Path | None = None) -> MainWindow:
        hearth = Hearth.open(hearth_paths())
        keys = [STARTER_KEY]
        if gemma is not None:
            ImportRegistry.in_folder(hearth.paths.config).add(gemma, hearth.paths.models)
            keys.append(hearth.model_key(gemma))
        for key in keys:
            settings = hearth.model_settings.get(key)
            hearth.model_settings.save(replace(settings, max_tokens=max_tokens))
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.start()
        qtbot.waitUntil(lambda: window.chat.model_ready, timeout=LOAD_TIMEOUT_MS)
        opened.append((window, hearth))
        return window

    yield open_
    for window, hearth in opened:
        window.close()
        close_down(window, hearth)
