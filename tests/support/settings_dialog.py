"""Acting in the per-model settings dialog, which runs modal (``exec``) once opened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.settings import ModelSettingsDialog


def when_settings_dialog_opens(interact: Callable[[ModelSettingsDialog], None]) -> None:
    """Runs ``interact`` on the settings dialog once it is open (looking every 20 ms, for
    5 s); never leaves it hanging. Call it just before what opens the dialog."""

    def attempt(tries_left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ModelSettingsDialog):
            try:
                interact(dialog)
            finally:
                if dialog.isVisible():
                    dialog.reject()  # the interaction failed: let exec() return
        elif tries_left:
            QTimer.singleShot(20, lambda: attempt(tries_left - 1))

    QTimer.singleShot(0, lambda: attempt(250))


def shown(qtbot: QtBot, dialog: ModelSettingsDialog) -> ModelSettingsDialog:
    """The dialog shown (not modal) for a test to act in; closed with the test."""
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog
