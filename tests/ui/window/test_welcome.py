"""First run: a welcome with the starter model and downloads that suit this computer."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.window.helpers import type_and_send, wait_for_reply


def test_the_first_run_offers_the_starter_model_and_suitable_downloads(qtbot, open_window):
    window = open_window(max_tokens=8)
    welcome = window.welcome
    assert welcome.isVisible()
    qtbot.waitUntil(lambda: bool(welcome.buttons), timeout=30_000)
    assert "Recommended for this computer" in welcome.suggestions_title.text()
    assert "GB memory" in welcome.suggestions_title.text()

    qtbot.mouseClick(welcome.buttons[0], Qt.MouseButton.LeftButton)
    models = window.models_window
    assert models is not None and models.isVisible()
    models.close()

    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    assert not welcome.isVisible()
    assert window.composer.edit.hasFocus()


def test_the_welcome_is_gone_once_there_are_chats(qtbot, open_window):
    window = open_window(max_tokens=8)
    type_and_send(qtbot, window, "Hello")
    wait_for_reply(qtbot, window)
    assert not window.welcome.isVisible()
    window.close()
    again = open_window()
    assert not again.welcome.isVisible()
