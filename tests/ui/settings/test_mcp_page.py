"""The MCP servers page against real servers written with the official SDK
(tests/support/mcp_test_server.py) over stdio: a pasted configuration is added, each
server's tools are listed with a switch each, a server that fails to start says why,
and switches and removal reach ``mcp.json`` and what a chat offers the model."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem

from app.tools.mcp.manager import McpManager
from app.tools.toolbox import ToolBox
from ui.settings.mcp_page import McpServersDialog

SERVER = Path(__file__).parents[2] / "support" / "mcp_test_server.py"
START_TIMEOUT_MS = 60_000


def entry(mode: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(SERVER), mode]}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "mcp.json"


@pytest.fixture
def manager(config_file: Path, tmp_path: Path) -> Iterator[McpManager]:
    manager = McpManager(config_file, logs=tmp_path / "logs", media=tmp_path / "media")
    try:
        yield manager
    finally:
        manager.close()


@pytest.fixture
def page(qtbot, config_file: Path, manager: McpManager) -> McpServersDialog:
    dialog = McpServersDialog(config_file, lambda: manager)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reload()
    return dialog


def document(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def paste_and_add(qtbot, page: McpServersDialog, text: str) -> None:
    page.paste_edit.setFocus()
    page.paste_edit.setPlainText(text)  # pasted, as from the clipboard
    qtbot.waitUntil(page.add_button.isEnabled)  # greyed while the last one is saved
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)


def toggle(qtbot, page: McpServersDialog, item: QTreeWidgetItem) -> None:
    """Selects the line and presses Space, which flips its switch."""
    page.tree.setFocus()
    page.tree.setCurrentItem(item)
    qtbot.keyClick(page.tree.viewport(), Qt.Key.Key_Space)


def state(page: McpServersDialog, server: str) -> str:
    item = page.server_item(server)
    return item.text(1) if item is not None else ""


def test_pasted_servers_are_added_and_their_tools_switched(qtbot, page, config_file, manager):
    qtbot.waitUntil(lambda: page.message_label.text().startswith("No MCP servers yet"))
    pasted = json.dumps(
        {"mcpServers": {"demo": entry("stdio"), "broken": entry("fail-at-start")}}, indent=2
    )
    with qtbot.waitSignal(page.servers_changed, timeout=START_TIMEOUT_MS):
        paste_and_add(qtbot, page, pasted)
    assert page.message_label.text() == "Added demo, broken."
    assert page.paste_edit.toPlainText() == ""
    assert set(document(config_file)["mcpServers"]) == {"demo", "broken"}

    # The working server lists its tools, each switched on; the other says why not.
    qtbot.waitUntil(lambda: state(page, "demo").endswith("tools"), timeout=START_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: state(page, "broken").startswith("Cannot be used:"), timeout=START_TIMEOUT_MS
    )
    demo = page.server_item("demo")
    assert demo is not None and demo.checkState(0) == Qt.CheckState.Checked
    tools = {demo.child(i).text(0): demo.child(i) for i in range(demo.childCount())}
    assert {"add", "shout", "crash", "hang"} <= set(tools)
    assert tools["add"].text(1) == "Adds two whole numbers."
    assert all(item.checkState(0) == Qt.CheckState.Checked for item in tools.values())
    broken = page.server_item("broken")
    assert broken is not None and broken.childCount() == 0

    # Switching a tool off: kept in the file, and a chat no longer offers it.
    toggle(qtbot, page, tools["crash"])
    qtbot.waitUntil(
        lambda: document(config_file)["mcpServers"]["demo"].get("disabledTools") == ["crash"]
    )
    offered = ToolBox(manager).tool_set(["demo"]).registry
    assert "demo__add" in offered and "demo__crash" not in offered
    toggle(qtbot, page, tools["crash"])
    qtbot.waitUntil(lambda: "disabledTools" not in document(config_file)["mcpServers"]["demo"])
    assert "demo__crash" in ToolBox(manager).tool_set(["demo"]).registry

    # Removing the broken one.
    page.tree.setCurrentItem(broken)
    assert page.remove_button.isEnabled()
    with qtbot.waitSignal(page.servers_changed):
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert set(document(config_file)["mcpServers"]) == {"demo"}
    assert page.server_item("broken") is None
    assert page.message_label.text() == "Removed broken."


def test_a_server_switched_off_is_never_started(qtbot, page, config_file, manager):
    config_file.parent.mkdir(parents=True)
    config_file.write_text(json.dumps({"mcpServers": {"demo": entry("stdio")}, "theme": "dark"}))
    page.reload()
    qtbot.waitUntil(lambda: state(page, "demo").endswith("tools"), timeout=START_TIMEOUT_MS)
    demo = page.server_item("demo")
    assert demo is not None
    with qtbot.waitSignal(page.servers_changed):
        toggle(qtbot, page, demo)
    assert state(page, "demo") == "Off" and demo.childCount() == 0
    saved = document(config_file)
    assert saved["mcpServers"]["demo"]["disabled"] is True
    assert saved["theme"] == "dark"  # the rest of the file is kept as it was
    assert ToolBox(manager).server_names() == []

    with qtbot.waitSignal(page.servers_changed):
        toggle(qtbot, page, demo)
    qtbot.waitUntil(lambda: state(page, "demo").endswith("tools"), timeout=START_TIMEOUT_MS)
    assert "disabled" not in document(config_file)["mcpServers"]["demo"]


def test_a_paste_that_is_not_a_configuration_says_what_is_wrong(qtbot, page, config_file):
    paste_and_add(qtbot, page, '{"mcpServers": {"x": {"command": "run"}')
    qtbot.waitUntil(lambda: page.message_label.text().startswith("Could not do that:"))
    assert "not valid JSON" in page.message_label.text()
    assert page.paste_edit.toPlainText()  # kept, to be fixed
    assert not config_file.exists()

    paste_and_add(qtbot, page, '{"mcpServers": {"old": {"type": "sse", "url": "http://x"}}}')
    qtbot.waitUntil(lambda: "Streamable HTTP" in page.message_label.text())
    assert not config_file.exists()
