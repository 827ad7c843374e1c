"""The Models page's "Remote servers" tab: servers, their models (marked remote), and
adding, refreshing and removing them.

The list comes from the servers file, read on the page's runner; only "Refresh" (and
adding) contacts a server. "Chat with it" picks the model in the window, as the picker does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.remote.connect import AddedServer, refresh_models, remove_server
from app.remote.servers import RemoteServer, RemoteServers
from ui.background import BackgroundRunner, error_text
from ui.remote_dialog import AddServerDialog

ConfirmRemove = Callable[[QWidget, str], bool]
REF_ROLE = Qt.ItemDataRole.UserRole
SERVER_ROLE = Qt.ItemDataRole.UserRole + 1


def confirm_remove(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(
        parent, "Remove server", f"Stop using {name}? Its key is removed from the keychain."
    )
    return answer == QMessageBox.StandardButton.Yes


class RemotePanel(QWidget):
    """Signals: ``changed()`` (servers or their model lists changed), ``model_chosen(str)``
    (a ``remote:SERVER/MODEL`` reference to chat with)."""

    changed = Signal()
    model_chosen = Signal(str)

    def __init__(
        self,
        runner: BackgroundRunner,
        config_dir: Path,
        *,
        confirm: ConfirmRemove = confirm_remove,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._config_dir = config_dir
        self.confirm = confirm  # asks before removing; tests answer it
        self.dialog: AddServerDialog | None = None
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Server and its models", "Address"])
        self.tree.setAccessibleName("Remote servers")
        self.tree.itemDoubleClicked.connect(lambda item, _column: self._choose(item))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.add_button = QPushButton("Add a server…", self)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Ask the selected server for its models now")
        self.remove_button = QPushButton("Remove", self)
        self.chat_button = QPushButton("Chat with it", self)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.refresh_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.chat_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.refresh_button.clicked.connect(self.refresh_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.chat_button.clicked.connect(lambda: self._choose(self.tree.currentItem()))
        self.reload()

    def reload(self) -> None:
        """Shows the servers as the file has them (read off the GUI thread)."""
        servers = RemoteServers.in_folder(self._config_dir)
        self._runner.run(servers.all, on_done=self.show_servers, on_error=self._failed)

    def show_servers(self, servers: list[RemoteServer]) -> None:
        self.tree.clear()
        for server in servers:
            top = QTreeWidgetItem([server.name, server.base_url])
            top.setData(0, SERVER_ROLE, server.name)
            for ref in server.refs():
                child = QTreeWidgetItem([f"{ref.model} (remote)", ""])
                child.setData(0, REF_ROLE, str(ref))
                child.setData(0, SERVER_ROLE, server.name)
                top.addChild(child)
            if server.listed_at is None:
                top.addChild(QTreeWidgetItem(["Not listed yet: Refresh asks it", ""]))
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
        if not servers:
            self.message.setText(
                "No remote servers. Add one to chat with a model that runs on another machine."
            )

    def open_add_dialog(self) -> None:
        self.dialog = AddServerDialog(self._runner, self._config_dir, self)
        self.dialog.server_added.connect(self._added)
        self.dialog.open()

    def refresh_selected(self) -> None:
        name = self._selected_server()
        if name is None:
            self.message.setText("Select a server to refresh.")
            return
        self.message.setText(f"Asking {name} for its models…")
        config = self._config_dir
        self._runner.run(
            lambda: refresh_models(config, name), on_done=self._refreshed, on_error=self._failed
        )

    def remove_selected(self) -> None:
        name = self._selected_server()
        if name is None or not self.confirm(self, name):
            return
        config = self._config_dir
        self._runner.run(
            lambda: remove_server(config, name),
            on_done=lambda _removed: self._after_change(f"Removed {name}."),
            on_error=self._failed,
            must_finish=True,
        )

    def _added(self, added: AddedServer) -> None:
        count = len(added.server.models)
        self._after_change(f"Added {added.server.name}: {count} models.")

    def _refreshed(self, server: RemoteServer) -> None:
        self._after_change(f"{server.name} offers {len(server.models)} models.")

    def _after_change(self, message: str) -> None:
        self.message.setText(message)
        self.reload()
        self.changed.emit()

    def _failed(self, error: Exception) -> None:
        self.message.setText(error_text(error))

    def _selected_server(self) -> str | None:
        item = self.tree.currentItem()
        name = item.data(0, SERVER_ROLE) if item is not None else None
        return str(name) if name else None

    def _choose(self, item: QTreeWidgetItem | None) -> None:
        ref = item.data(0, REF_ROLE) if item is not None else None
        if ref:
            self.model_chosen.emit(str(ref))
        else:
            self.message.setText("Select one of a server's models to chat with it.")


__all__ = ["RemotePanel"]
