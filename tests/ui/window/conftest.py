from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.paths import hearth_paths
from ui.application import close_down
from ui.main_window import MainWindow

STARTER_KEY = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOAD_TIMEOUT_MS = 60_000
REPLY_TIMEOUT_MS = 90_000


@pytest.fixture
def open_window(qtbot, hearth_home: Path) -> Iterator[Callable[..., MainWindow]]:
    """Opens Hearth's window on a private home, the way ``hearth`` does, model loaded."""
    opened: list[tuple[MainWindow, Hearth]] = []

    def open_(**settings) -> MainWindow:
        hearth = Hearth.open(hearth_paths())
        if settings:
            hearth.model_settings.save(replace(hearth.model_settings.get(STARTER_KEY), **settings))
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
        close_down(window, hearth)  # as the app does once its window has gone


@pytest.fixture
def window(open_window) -> MainWindow:
    return open_window()
