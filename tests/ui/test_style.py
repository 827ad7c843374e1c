"""The window's style follows the palette, also when it changes while Hearth runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.support.messages import stored_message
from ui.chat.message_widget import MessageWidget
from ui.style import apply_style

QUESTION = stored_message(id=1, content="A question.")


@pytest.fixture
def styled_app() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette = app.palette()
    apply_style(app)
    yield app
    follower = app.findChild(QObject, "paletteFollower")
    if follower is not None:
        app.paletteChanged.disconnect(follower.reapply)  # type: ignore[attr-defined]
        follower.setParent(None)
    app.setStyleSheet("")
    app.setPalette(palette)


def background_at_centre(widget: MessageWidget) -> QColor:
    image = widget.grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() - 12)


def test_messages_follow_a_switch_to_a_dark_palette(styled_app: QApplication, qtbot: QtBot) -> None:
    widget = MessageWidget(replace(QUESTION), author="You")
    qtbot.addWidget(widget)
    widget.resize(500, 120)
    widget.show()
    qtbot.waitExposed(widget)
    assert background_at_centre(widget).lightnessF() > 0.6

    dark = QPalette(styled_app.palette())
    dark.setColor(QPalette.ColorRole.AlternateBase, QColor("#2b2c2f"))
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    styled_app.setPalette(dark)
    qtbot.waitUntil(lambda: background_at_centre(widget).name() == "#2b2c2f")
