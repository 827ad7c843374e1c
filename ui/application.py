"""Starts the window: ``hearth`` bare, or ``hearth --model PATH``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from app.hearth import Hearth


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
    from ui.main_window import MainWindow
    from ui.style import apply_style

    apply_style(app)
    hearth = Hearth.open()
    hearth.conversations.purge_deleted()
    try:
        window = MainWindow(hearth)
        window.show()
        window.start(options.model)
        return app.exec()
    finally:
        hearth.close()
