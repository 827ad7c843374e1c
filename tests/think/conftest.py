from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.paths import hearth_paths

# Short replies keep the real model's turns quick on a small CPU.
MAX_TOKENS = 40


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    hearth = Hearth.open(hearth_paths())
    yield hearth
    hearth.close()


@pytest.fixture
def loaded(hearth: Hearth) -> Hearth:
    model = hearth.resolve_model("SmolLM2-135M-Instruct")
    key = hearth.model_key(model.path)
    hearth.model_settings.save(replace(hearth.model_settings.get(key), max_tokens=MAX_TOKENS))
    hearth.engine.load(hearth.load_request(model))
    return hearth


@pytest.fixture
def think_window(qtbot, hearth_home: Path):  # type: ignore[no-untyped-def]
    """Hearth's window on a private home, the starter model loaded, replies kept short."""
    from ui.application import close_down
    from ui.main_window import MainWindow

    opened = []

    def open_(max_tokens: int = MAX_TOKENS):  # type: ignore[no-untyped-def]
        hearth = Hearth.open(hearth_paths())
        key = "SmolLM2-135M-Instruct.Q4_1.gguf"
        hearth.model_settings.save(replace(hearth.model_settings.get(key), max_tokens=max_tokens))
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.start()
        qtbot.waitUntil(lambda: window.chat.model_ready, timeout=60_000)
        opened.append((window, hearth))
        return window

    yield open_
    for window, hearth in opened:
        window.close()
        close_down(window, hearth)
