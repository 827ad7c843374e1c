"""The whole window, for people with a screen reader or a keyboard: every button has a
name, and the zoom keys work wherever the focus is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from app.hearth import Hearth
from app.paths import hearth_paths
from ui.application import close_down
from ui.main_window import MainWindow

REPLY = "Here:\n\n```python\nprint('hi')\n```\n\nAnd $x^2$ too."


@pytest.fixture
def window(qtbot: QtBot, hearth_home: Path) -> Iterator[MainWindow]:
    """The real window on a private home with one conversation of two versions shown;
    no model is loaded (none is needed to look at it)."""
    hearth = Hearth.open(hearth_paths())
    store = hearth.conversations
    conversation = store.create_conversation("Accessible", None)
    question = store.add_message(conversation.id, None, "user", "Say hi in Python.")
    store.add_message(conversation.id, question.id, "assistant", "An older version.")
    store.add_message(conversation.id, question.id, "assistant", REPLY)
    window = MainWindow(hearth)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.chat.show_conversation(conversation.id)
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 2)
    yield window
    window.close()
    close_down(window, hearth)


def test_every_button_has_a_name_for_screen_readers(window: MainWindow) -> None:
    buttons = window.findChildren(QAbstractButton)
    assert len(buttons) > 15
    unnamed = [
        f"{type(b).__name__} in {type(b.parent()).__name__}"
        for b in buttons
        if not (b.accessibleName().strip() or b.text().replace("&", "").strip())
    ]
    assert unnamed == []
    # Buttons that show only a symbol are named in words.
    reply = window.chat_view.widgets[-1]
    assert reply.previous_button.text() == "‹"
    assert reply.previous_button.accessibleName() == "Previous version"


def test_zoom_keys_work_while_typing_a_message(window: MainWindow, qtbot: QtBot) -> None:
    reply = window.chat_view.widgets[-1]
    normal = QFontInfo(reply.body.font()).pointSizeF()
    levels: list[int] = []
    window.chat_view.zoom_changed.connect(levels.append)
    edit = window.composer.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert QFontInfo(reply.body.font()).pointSizeF() > normal
    qtbot.keyClick(edit, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert QFontInfo(reply.body.font()).pointSizeF() == normal
    assert levels == [1, 0]
    assert edit.toPlainText() == ""  # the keys zoomed; they typed nothing
