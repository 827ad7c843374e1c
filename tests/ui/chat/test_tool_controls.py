"""The Tools menu by the message box, clicked like a user would: what it offers, the
chat's choice against the model's default, and Python greyed out with the reason."""

from __future__ import annotations

from ui.chat.tool_controls import ToolControls


def controls(qtbot) -> ToolControls:
    widget = ToolControls()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_menu_follows_the_models_default_until_the_user_chooses(qtbot):
    menu = controls(qtbot)
    menu.set_available(["files"], None, ["delete_file"])
    menu.set_model_default(["calculator"])
    names = menu.actions_by_name
    assert list(names) == ["calculator", "clock", "python", "files", "delete_file"]
    assert menu.button.text() == "Tools: calculator"
    assert menu.default_action.isChecked()
    assert menu.default_action.text() == "Model default (calculator)"
    assert names["calculator"].isChecked() and not names["clock"].isChecked()

    with qtbot.waitSignal(menu.choice_changed) as changed:
        names["files"].trigger()
    assert changed.args == [("calculator", "files")]
    assert menu.button.text() == "Tools: 2 on"
    assert not menu.default_action.isChecked() and names["files"].isChecked()

    with qtbot.waitSignal(menu.choice_changed) as changed:
        names["calculator"].trigger()
    with qtbot.waitSignal(menu.choice_changed) as changed:
        menu.actions_by_name["files"].trigger()
    assert changed.args == [()]
    assert menu.button.text() == "Tools: off"

    with qtbot.waitSignal(menu.choice_changed) as changed:
        menu.default_action.trigger()
    assert changed.args == [None]
    assert menu.button.text() == "Tools: calculator"

    with qtbot.waitSignal(menu.manage_requested):
        menu.manage_action.trigger()


def test_python_is_greyed_out_with_the_reason_where_the_sandbox_cannot_be_had(qtbot):
    menu = controls(qtbot)
    menu.set_available([], "this kernel has no user namespaces, which the sandbox needs")
    python = menu.actions_by_name["python"]
    assert not python.isEnabled()
    assert python.text() == "Python (sandboxed, asks first): unavailable"
    assert "no user namespaces" in python.toolTip()
    menu.set_choice(["python", "clock"])  # a chat that chose it where it worked
    assert not menu.actions_by_name["python"].isChecked()
    assert menu.button.text() == "Tools: clock"


def test_a_chats_choice_is_shown_without_being_announced(qtbot):
    menu = controls(qtbot)
    menu.set_model_default(["clock"])
    with qtbot.assertNotEmitted(menu.choice_changed):
        menu.set_choice(["calculator", "python"])
    assert menu.button.text() == "Tools: 2 on"
    assert menu.actions_by_name["python"].isChecked()
    assert not menu.actions_by_name["clock"].isChecked()
    assert not menu.default_action.isChecked()
