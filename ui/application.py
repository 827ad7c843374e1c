"""Starts the window: ``hearth`` bare, or ``hearth --model PATH``.

One window per data folder (see :mod:`ui.single_instance`): a launch on a folder whose
window is already open brings that window to the front and ends.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import ui
from app.engine.process import prestart_host
from app.hearth import Hearth
from app.paths import hearth_paths
from app.smoke_test import report_startup
from ui.single_instance import WindowLock, ask_to_activate

if TYPE_CHECKING:
    from ui.main_window import MainWindow

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
    data_folder = hearth_paths().data
    window_lock = WindowLock(data_folder)
    if not window_lock.claim():
        return _hand_over_to_open_window(data_folder)
    # Only a window bins conversations, and only one window holds a folder: whatever was
    # binned before this moment was binned by a window that has closed, whose Undo is
    # gone. The bin is emptied up to here, and only when the lock is really held.
    claimed_at = time.time()
    try:
        return _open_window(app, options, window_lock, claimed_at)
    finally:
        window_lock.release()


def _open_window(
    app: QApplication, options: argparse.Namespace, window_lock: WindowLock, claimed_at: float
) -> int:
    from ui.main_window import MainWindow
    from ui.style import apply_style

    apply_style(app)
    # The engine host starts and imports while the window opens and the user chooses;
    # the first load takes it over.
    prestart_host()
    hearth = Hearth.open()
    if window_lock.exclusive:
        hearth.conversations.purge_deleted(deleted_before=claimed_at)
    window: MainWindow | None = None
    try:
        window = MainWindow(hearth)
        window_lock.set_window(window)
        window.show()
        QTimer.singleShot(0, lambda: report_startup("window shown"))
        window.start(options.model)
        return app.exec()
    finally:
        close_down(window, hearth)


def close_down(window: MainWindow | None, hearth: Hearth) -> None:
    """After the window has gone: wait (bounded) for its threads, then end the engine
    host and close the database. The host ends even if a thread did not."""
    try:
        if window is not None:
            window.finish_closing()
    finally:
        hearth.close()


def _hand_over_to_open_window(data_folder: Path) -> int:
    """Another window has this data folder: bring it to the front instead."""
    if ask_to_activate(data_folder):
        print(f"Hearth is already open for {data_folder}; brought its window to the front.")
        return 0
    print(
        f"Hearth is already open for {data_folder} but its window did not answer.",
        file=sys.stderr,
    )
    return 1
