from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.library.imports import ImportRegistry
from app.paths import hearth_paths
from ui.application import close_down
from ui.main_window import MainWindow

STARTER_KEY = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOAD_TIMEOUT_MS = 60_000


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
