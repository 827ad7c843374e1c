"""Starts the window: ``hearth`` bare, or ``hearth --model PATH``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import ui
from app.hearth import Hearth
from app.smoke_test import report_startup

# The same relative place in the source tree and in a bundle.
ICON = Path(ui.__file__).resolve().parents[1] / "resources" / "icons" / "hearth-256.png"


def parse_window_args(args: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hearth", description="Open the Hearth window.")
    parser.add_argument("--model", "-m", help="open with this model (a name or a GGUF path)")
    return parser.parse_args(list(args))


def run_window(args: Sequence[str]) -> int:
    options = parse_window_args(args)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Hearth")
    app.setApplicationDisplayName("Hearth")
    app.setDesktopFileName("hearth")  # matches packaging/linux/hearth.desktop
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    from ui.main_window import MainWindow
    from ui.style import apply_style

    apply_style(app)
    hearth = Hearth.open()
    hearth.conversations.purge_deleted()
    try:
        window = MainWindow(hearth)
        window.show()
        QTimer.singleShot(0, lambda: report_startup("window shown"))
        window.start(options.model)
        return app.exec()
    finally:
        hearth.close()
