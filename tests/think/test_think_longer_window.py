"""Think longer through the real window: the button under a reply makes a new version
with its candidates and reason; Stop in the middle leaves the reply as it was."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.store.think_runs import ThinkRunStore
from tests.support.screenshots import screenshot_folder
from ui.think.candidates_dialog import CandidatesDialog

THINK_TIMEOUT_MS = 240_000
DOCS = screenshot_folder()  # docs/ with HEARTH_SCREENSHOTS=docs


def _reply(qtbot, window, text: str):
    edit = window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.chat.busy, timeout=10_000)
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=THINK_TIMEOUT_MS)
    return [w for w in window.chat_view.widgets if w.message.role == "assistant"][-1]


def test_think_longer_makes_a_version_with_its_candidates(qtbot, open_window) -> None:
    window = open_window(max_tokens=24)
    reply = _reply(qtbot, window, "What is 6 times 7?")
    first_id = reply.message.id
    assert reply.think_button.isVisible()
    with qtbot.waitSignal(window.think_longer.finished, timeout=THINK_TIMEOUT_MS) as done:
        qtbot.mouseClick(reply.think_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.chat.busy, timeout=5_000)
        assert window.composer.button.text() == "Stop"
    result = done.args[0]
    assert result is not None and result.message is not None
    qtbot.waitUntil(lambda: _last_reply(window).isVisible())
    shown = _last_reply(window)
    assert shown.message.id == result.message.id != first_id
    assert shown.version_label.text() == "2/2"
    assert "Thought longer (3 candidates)" in shown.note_label.text()
    assert shown.note_label.isVisible()
    run = ThinkRunStore(window.hearth.database).for_message(result.message.id)
    assert run is not None and len(run.candidates) == 3
    window.grab().save(str(DOCS / "think_longer.png"))

    # The button's menu opens the candidates, with the chosen one marked and the reason.
    menu = shown.think_button.menu()
    show = next(a for a in menu.actions() if a.text().startswith("Show the candidates"))
    show.trigger()
    dialog = window.think_longer.dialog
    assert isinstance(dialog, CandidatesDialog)
    qtbot.waitExposed(dialog)
    assert dialog.tabs.count() == 3
    assert run.reason in dialog.reason_label.text()
    assert "✓" in dialog.tabs.tabText(dialog.tabs.currentIndex())
    dialog.grab().save(str(DOCS / "think_longer_candidates.png"))
    dialog.close()

    # Back to the first version and forward again with the switcher.
    qtbot.mouseClick(_last_reply(window).previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _last_reply(window).message.id == first_id)
    assert _last_reply(window).note_label.isHidden()  # the first version was not thought over
    qtbot.mouseClick(_last_reply(window).next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _last_reply(window).message.id == result.message.id)
    qtbot.waitUntil(lambda: _last_reply(window).isVisible())
    assert "Thought longer" in _last_reply(window).note_label.text()  # said again when shown


def _last_reply(window):  # type: ignore[no-untyped-def]
    return [w for w in window.chat_view.widgets if w.message.role == "assistant"][-1]


def test_stop_during_think_longer_keeps_the_reply(qtbot, open_window) -> None:
    window = open_window(max_tokens=300)
    reply = _reply(qtbot, window, "Tell me about the sea.")
    first_id = reply.message.id
    with qtbot.waitSignal(window.think_longer.finished, timeout=THINK_TIMEOUT_MS) as done:
        qtbot.mouseClick(reply.think_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: "candidate 1 of 3" in window.statusBar().currentMessage(), timeout=30_000
        )
        qtbot.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert result.stopped and result.message is None
    assert not window.chat.busy
    assert [m.id for m in window.hearth.conversations.versions(first_id)] == [first_id]
    qtbot.waitUntil(lambda: _last_reply(window).isVisible())
    assert _last_reply(window).message.id == first_id
    assert "Stopped" in _last_reply(window).note_label.text()
    QApplication.processEvents()
