"""The MCP servers page: the servers in ``mcp.json``, their tools, and adding or removing one.

Each server is a line with a switch (off: never started) and its state: how it is
reached, "Starting…", how many tools it has, or why it cannot be used. Under it, each of
its tools with a switch of its own (off: never offered to the model). A configuration
from another app pastes in (the ``mcpServers`` format); a selected server can be removed.

Every read and write of the file and everything that talks to a server runs on the
page's :class:`~ui.background.BackgroundRunner`, never on the GUI thread: a server that
hangs or dies shows its message when the client's timeout ends, and the window goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.tools.mcp.config import (
    McpConfigError,
    McpServerConfig,
    load_servers,
    parse_config,
    remove_server,
    save_server,
)
from app.tools.mcp.switches import disabled_tools, set_server_enabled, set_tool_enabled
from ui.background import BackgroundRunner, error_text

if TYPE_CHECKING:
    from app.tools.mcp.manager import McpManager

PASTE_HINT = (
    '{\n  "mcpServers": {\n    "files": {"command": "npx", "args": ["-y", "some-server"]},\n'
    '    "remote": {"url": "http://127.0.0.1:8000/mcp"}\n  }\n}'
)
_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class ListedTool:
    """One of a server's tools, as the page shows it."""

    remote_name: str  # the server's own name for it (what a switch keeps)
    description: str
    on: bool


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class McpServersDialog(QDialog):
    """config_file: the ``mcp.json`` to edit. manager: gives the MCP client (called on a
    worker thread only: making it imports the SDK). Signals: ``servers_changed()``: the
    servers switched on may have changed (a chat's tools menu lists them)."""

    servers_changed = Signal()

    def __init__(
        self,
        config_file: Path,
        manager: Callable[[], McpManager],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config_file = config_file
        self._manager = manager
        self._runner = BackgroundRunner(self, name="hearth-mcp-page")
        self._filling = False
        self._checks: dict[str, int] = {}  # the latest check asked for, per server
        self.setWindowTitle("MCP servers")
        self.setObjectName("mcpServersDialog")

        intro = QLabel(
            "Servers give the model more tools. They start when a chat offers their tools"
            f" or when this page lists them. Configuration: {config_file}",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Server or tool", "State"])
        self.tree.setAccessibleName("MCP servers and their tools")
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.itemChanged.connect(self._switched)
        self.tree.currentItemChanged.connect(lambda *_: self._selection_changed())

        self.check_button = QPushButton("List tools again", self)
        self.check_button.setToolTip("Start the servers that are on and list their tools")
        self.check_button.clicked.connect(self.reload)
        self.remove_button = QPushButton("Remove server", self)
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)

        paste_label = QLabel(
            "Add servers: paste a configuration in the mcpServers format (as Claude Desktop,"
            " Cursor or LM Studio write it)",
            self,
        )
        paste_label.setWordWrap(True)
        self.paste_edit = QPlainTextEdit(self)
        self.paste_edit.setPlaceholderText(PASTE_HINT)
        self.paste_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.paste_edit.setAccessibleName("MCP configuration to add")
        self.paste_edit.setTabChangesFocus(True)
        self.paste_edit.setFixedHeight(120)
        paste_label.setBuddy(self.paste_edit)
        self.add_button = QPushButton("Add", self)
        self.add_button.clicked.connect(self.add_pasted)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        add_row = QHBoxLayout()
        add_row.addWidget(self.message_label, 1)
        add_row.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addWidget(paste_label)
        layout.addWidget(self.paste_edit)
        layout.addLayout(add_row)
        self.resize(680, 560)

    # Servers ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Reads the configuration (off the GUI thread), then lists each server's tools."""
        path = self.config_file
        self._runner.run(
            lambda: load_servers(path), on_done=self._show_servers, on_error=self._failed
        )

    def server_item(self, name: str) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.data(0, _ROLE) == ("server", name):
                return item
        return None

    def tool_item(self, server: str, tool: str) -> QTreeWidgetItem | None:
        parent = self.server_item(server)
        for index in range(parent.childCount() if parent is not None else 0):
            assert parent is not None
            item = parent.child(index)
            if item is not None and item.data(0, _ROLE) == ("tool", server, tool):
                return item
        return None

    def _show_servers(self, servers: list[McpServerConfig]) -> None:
        self._filling = True
        try:
            self.tree.clear()
            for server in servers:
                item = QTreeWidgetItem([server.name, ""])
                item.setData(0, _ROLE, ("server", server.name))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    0, Qt.CheckState.Unchecked if server.disabled else Qt.CheckState.Checked
                )
                item.setToolTip(0, f"{server.transport}: {server.target}")
                self.tree.addTopLevelItem(item)
                self._set_state(item, "Off" if server.disabled else "Starting…")
        finally:
            self._filling = False
        if not servers and not self.message_label.text():
            # Never over what the user was just told (a paste that failed while this read).
            self.message_label.setText("No MCP servers yet: paste a configuration below.")
        for server in servers:
            if not server.disabled:
                self._check(server.name)
        self._selection_changed()

    def _check(self, name: str) -> None:
        """Starts the server if needed and lists its tools, off the GUI thread."""
        ticket = self._checks[name] = self._checks.get(name, 0) + 1
        manager, path = self._manager, self.config_file

        def work() -> list[ListedTool]:
            tools = manager().tools(name)
            off = disabled_tools(path, name)
            return [
                ListedTool(
                    tool.remote_name,
                    _own_description(tool.description, name),
                    tool.remote_name not in off,
                )
                for tool in tools
            ]

        self._runner.run(
            work,
            on_done=lambda tools: self._show_tools(name, ticket, tools),
            on_error=lambda error: self._check_failed(name, ticket, error),
        )

    def _show_tools(self, server: str, ticket: int, tools: list[ListedTool]) -> None:
        item = self.server_item(server)
        if item is None or self._checks.get(server) != ticket:
            return  # removed, or a newer check is on its way
        self._filling = True
        try:
            item.takeChildren()
            for tool in tools:
                child = QTreeWidgetItem([tool.remote_name, _first_line(tool.description)])
                child.setData(0, _ROLE, ("tool", server, tool.remote_name))
                child.setFlags(child.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                child.setCheckState(
                    0, Qt.CheckState.Checked if tool.on else Qt.CheckState.Unchecked
                )
                child.setToolTip(1, tool.description)
                item.addChild(child)
            item.setExpanded(True)
        finally:
            self._filling = False
        count = len(tools)
        self._set_state(item, f"{count} tool{'s' if count != 1 else ''}" if count else "No tools")

    def _check_failed(self, server: str, ticket: int, error: Exception) -> None:
        item = self.server_item(server)
        if item is None or self._checks.get(server) != ticket:
            return
        self._filling = True
        try:
            item.takeChildren()
        finally:
            self._filling = False
        self._set_state(item, f"Cannot be used: {error_text(error)}", failed=True)

    def _set_state(self, item: QTreeWidgetItem, text: str, *, failed: bool = False) -> None:
        item.setText(1, text)
        item.setToolTip(1, text)
        item.setData(1, _ROLE, "failed" if failed else "")

    # Switches -----------------------------------------------------------------------------

    def _switched(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        on = item.checkState(0) == Qt.CheckState.Checked
        what = item.data(0, _ROLE)
        path = self.config_file
        if what and what[0] == "server":
            name = what[1]
            self._runner.run(
                lambda: set_server_enabled(path, name, on),
                on_done=lambda _none: self._server_switched(name, on),
                on_error=self._failed,
                must_finish=True,
            )
        elif what and what[0] == "tool":
            _kind, server, tool = what
            self._runner.run(
                lambda: set_tool_enabled(path, server, tool, on),
                on_error=self._failed,
                must_finish=True,
            )

    def _server_switched(self, name: str, on: bool) -> None:
        self.servers_changed.emit()
        item = self.server_item(name)
        if item is None:
            return
        if on:
            self._set_state(item, "Starting…")
            self._check(name)
        else:
            self._checks[name] = self._checks.get(name, 0) + 1  # a check under way is stale
            self._filling = True
            try:
                item.takeChildren()
            finally:
                self._filling = False
            self._set_state(item, "Off")

    # Adding and removing -------------------------------------------------------------------

    def add_pasted(self) -> None:
        """Adds every server of the pasted configuration (none if one clashes)."""
        text = self.paste_edit.toPlainText()
        if not text.strip():
            self.message_label.setText("Paste a configuration first.")
            return
        path = self.config_file

        def work() -> list[str]:
            servers = parse_config(text, source="the pasted configuration")
            if not servers:
                raise McpConfigError("the pasted configuration has no servers")
            existing = {server.name for server in load_servers(path)}
            clashes = [server.name for server in servers if server.name in existing]
            if clashes:
                names = ", ".join(repr(name) for name in clashes)
                raise McpConfigError(f"there is already a server named {names}; remove it first")
            for server in servers:
                save_server(path, server)
            return [server.name for server in servers]

        self.add_button.setEnabled(False)
        self._runner.run(
            work,
            on_done=self._added,
            on_error=self._failed,
            on_finished=lambda: self.add_button.setEnabled(True),
            must_finish=True,
        )

    def _added(self, names: list[str]) -> None:
        self.paste_edit.clear()
        self.message_label.setText(f"Added {', '.join(names)}.")
        self.servers_changed.emit()
        self.reload()

    def remove_selected(self) -> None:
        name = self._selected_server()
        if name is None:
            return
        path = self.config_file
        self._runner.run(
            lambda: remove_server(path, name),
            on_done=lambda _removed: self._removed(name),
            on_error=self._failed,
            must_finish=True,
        )

    def _removed(self, name: str) -> None:
        self.message_label.setText(f"Removed {name}.")
        self._checks.pop(name, None)
        item = self.server_item(name)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._selection_changed()
        self.servers_changed.emit()

    def _selected_server(self) -> str | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        what = item.data(0, _ROLE) if item is not None else None
        return what[1] if what else None

    def _selection_changed(self) -> None:
        self.remove_button.setEnabled(self._selected_server() is not None)

    def _failed(self, error: Exception) -> None:
        self.message_label.setText(f"Could not do that: {error_text(error)}")

    # Closing ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """The window closes: drop the jobs (never blocks; the writes still reach the file)."""
        self._runner.abort_all()
        self.hide()


def _own_description(description: str, server: str) -> str:
    """The tool's own words, without the note Hearth adds for the model."""
    suffix = f" (from the MCP server {server})"
    return description[: -len(suffix)] if description.endswith(suffix) else description
