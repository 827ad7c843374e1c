"""The conversation's zoom is remembered: Ctrl+= twice, close, open again, same size."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_zoom_survives_a_restart(qtbot, open_window):
    window = open_window()
    view = window.chat_view
    normal = view.zoom_level
    view.setFocus()
    for _ in range(2):
        qtbot.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom_level == normal + 2
    qtbot.waitUntil(lambda: window.hearth.settings.read().text_zoom == normal + 2)

    again = open_window()
    qtbot.waitUntil(lambda: again.chat_view.zoom_level == normal + 2)
