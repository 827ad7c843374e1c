"""The Models page's "Remote servers" tab: add a server, see its models marked remote,
refresh, chat with one, remove it; only the buttons that say so contact the server."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.support.remote_servers import closed_port, stalling_server
from tests.ui.models.helpers import WAIT_MS
from ui.models.page import ModelsPage


def _rows(page: ModelsPage) -> list[str]:
    tree = page.remote_panel.tree
    rows = []
    for index in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(index)
        rows.append(top.text(0))
        rows += [f"  {top.child(row).text(0)}" for row in range(top.childCount())]
    return rows


def test_add_refresh_choose_and_remove_a_server(qtbot, page: ModelsPage):
    panel = page.remote_panel
    page.tabs.setCurrentWidget(panel)
    with stalling_server() as server:
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        dialog = panel.dialog
        assert dialog is not None
        qtbot.keyClicks(dialog.url_edit, server.base_url)
        qtbot.keyClicks(dialog.name_edit, "box")
        with qtbot.waitSignal(panel.changed, timeout=WAIT_MS):
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: _rows(page) == ["box", "  stall-model (remote)"], timeout=WAIT_MS)
        assert server.requests == ["GET /v1/models"]

        box = panel.tree.topLevelItem(0)
        panel.tree.setCurrentItem(box)
        with qtbot.waitSignal(panel.changed, timeout=WAIT_MS):
            qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        assert server.requests == ["GET /v1/models", "GET /v1/models"]
        assert "box offers 1 models" in panel.message.text()

    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT_MS)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0).child(0))
    with qtbot.waitSignal(panel.model_chosen, timeout=WAIT_MS) as chosen:
        qtbot.mouseClick(panel.chat_button, Qt.MouseButton.LeftButton)
    assert chosen.args == ["remote:box/stall-model"]

    panel.confirm = lambda _parent, _name: True
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    with qtbot.waitSignal(panel.changed, timeout=WAIT_MS):
        qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _rows(page) == [], timeout=WAIT_MS)
    assert "No remote servers" in panel.message.text() or "Removed box" in panel.message.text()


def test_a_server_that_cannot_be_reached_is_said_in_the_dialog(qtbot, page: ModelsPage):
    panel = page.remote_panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.url_edit, f"http://127.0.0.1:{closed_port()}/v1")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Could not reach" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.add_button.isEnabled()  # correct it and try again
    assert dialog.name_edit.text() == "127.0.0.1"
    assert _rows(page) == []
