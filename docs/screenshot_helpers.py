"""What the docs/screenshot_*.py scripts share: Hearth's real window on a scratch home, the
starter model's settings, sending a message, and waiting on the window without a test runner.

Importing it puts the repository on ``sys.path`` (the scripts run as ``python docs/X.py``);
Qt and Hearth are imported by the functions, after the scratch home is chosen.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.hearth import Hearth
    from ui.main_window import MainWindow

TIMEOUT_SECONDS = 120


def open_scratch_hearth(style: str | None = None) -> tuple[QApplication, Hearth]:
    """The application in Hearth's style (on Qt's ``style`` if given) and Hearth opened on
    a new scratch home."""
    os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-screenshot-")
    from PySide6.QtWidgets import QApplication

    from app.hearth import Hearth
    from ui.style import apply_style

    app = QApplication(sys.argv[:1])
    if style is not None:
        app.setStyle(style)
    apply_style(app)
    return app, Hearth.open()


def set_starter_settings(hearth: Hearth, **changes: Any) -> None:
    """Saves the starter model's per-model settings with ``changes``."""
    from dataclasses import replace

    from app.chat.service import model_key
    from app.library.starter import starter_model_path

    starter = starter_model_path()
    assert starter is not None, "the starter model is not installed"
    key = model_key(str(starter))
    hearth.model_settings.save(replace(hearth.model_settings.get(key), **changes))


def open_window(app: QApplication, hearth: Hearth, width: int, height: int) -> MainWindow:
    """The main window at this size, shown, its model loaded."""
    from ui.main_window import MainWindow

    window = MainWindow(hearth)
    window.resize(width, height)
    window.show()
    window.start()
    wait_until(app, lambda: window.chat.model_ready, "the model to load")
    return window


def send(app: QApplication, window: MainWindow, text: str) -> None:
    """Types ``text`` in the message box, sends it and waits for the reply to start."""
    window.composer.edit.setPlainText(text)
    window.composer.button.click()
    wait_until(app, lambda: window.chat.busy, "the reply to start")


def wait_until(app: QApplication, done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.5) -> None:
    """Lets the window lay out and paint for ``seconds``."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        app.processEvents()
        time.sleep(0.01)
