"""The Think switch and effort by the message box, on their own: shown, clicked, told apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.chat.composer import Composer
from ui.chat.thinking_controls import ThinkingControls


@pytest.fixture
def controls(qtbot: QtBot) -> Iterator[ThinkingControls]:
    """The switches where they live: in a shown message box."""
    composer = Composer()
    qtbot.addWidget(composer)
    composer.resize(600, 140)
    composer.show()
    qtbot.waitExposed(composer)
    yield composer.thinking_controls
    composer.close()


def test_hidden_for_a_model_that_offers_no_switch(qtbot: QtBot, controls: ThinkingControls) -> None:
    assert not controls.isVisible()
    controls.set_model(toggle=True, effort=False, default_thinking=None, default_effort=None)
    assert controls.think_button.isVisible() and not controls.effort_box.isVisible()
    controls.set_model(toggle=False, effort=True, default_thinking=None, default_effort=None)
    assert not controls.think_button.isVisible() and controls.effort_box.isVisible()
    controls.set_model(toggle=False, effort=False, default_thinking=None, default_effort=None)
    assert not controls.isVisible()


def test_the_switch_shows_the_default_until_clicked(
    qtbot: QtBot, controls: ThinkingControls
) -> None:
    chosen: list[tuple[object, object]] = []
    controls.choice_changed.connect(lambda thinking, effort: chosen.append((thinking, effort)))
    controls.set_model(toggle=True, effort=True, default_thinking=None, default_effort=None)
    button = controls.think_button
    assert button.text() == "Think: auto" and not button.isChecked()
    assert "default" in button.toolTip()

    controls.set_model(toggle=True, effort=True, default_thinking=True, default_effort="low")
    assert button.text() == "Think (default)" and button.isChecked()
    assert controls.effort_box.currentText() == "Effort: default (low)"
    assert chosen == []  # showing defaults is not a choice

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "Think" and not button.isChecked()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked()
    assert chosen == [(False, None), (True, None)]

    controls.default_action.trigger()  # "Model default" in the switch's menu
    assert button.text() == "Think (default)" and chosen[-1] == (None, None)


def test_effort_is_picked_from_the_list(qtbot: QtBot, controls: ThinkingControls) -> None:
    chosen: list[tuple[object, object]] = []
    controls.choice_changed.connect(lambda thinking, effort: chosen.append((thinking, effort)))
    controls.set_model(toggle=False, effort=True, default_thinking=None, default_effort=None)
    box = controls.effort_box
    assert box.currentText() == "Effort: default (model's own)"
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == "Effort: medium"
    assert chosen[-1] == (None, "medium")


def test_another_chat_shows_its_own_choice(qtbot: QtBot, controls: ThinkingControls) -> None:
    controls.set_model(toggle=True, effort=True, default_thinking=None, default_effort=None)
    controls.set_choice(False, "high")
    assert controls.think_button.text() == "Think" and not controls.think_button.isChecked()
    assert controls.effort_box.currentText() == "Effort: high"
    controls.set_choice(None, None)
    assert controls.think_button.text() == "Think: auto"
    assert controls.effort_box.currentIndex() == 0
