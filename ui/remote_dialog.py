"""The "Add a server…" dialog: a remote OpenAI-compatible server's address and key.

On Add, the server is asked for its models on a :class:`~ui.background.BackgroundRunner`
(never on the GUI thread); only if it answers is it kept (``app.remote.connect``), its
key going to the system keychain. If it does not, the dialog stays open and says why
(wrong address, server down, key refused), so the user can correct it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.remote.connect import AddedServer, add_server
from ui.background import BackgroundRunner, error_text


class AddServerDialog(QDialog):
    """Signals: ``server_added(object)``: the ``AddedServer``, once it is kept."""

    server_added = Signal(object)

    def __init__(
        self, runner: BackgroundRunner, config_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a server")
        self._runner = runner
        self._config_dir = config_dir
        intro = QLabel(
            "Chat with models on another machine: any OpenAI-compatible server (llama.cpp's"
            " llama-server, vLLM, Ollama, LM Studio, another Hearth). Hearth contacts it"
            " only when you add it, refresh its list or pick one of its models.",
            self,
        )
        intro.setWordWrap(True)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("http://gpu-box:8000/v1")
        self.url_edit.setAccessibleName("Server address")
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("a short name, such as gpu-box")
        self.name_edit.setAccessibleName("Server name")
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("optional; kept in the system keychain")
        self.key_edit.setAccessibleName("API key")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Address:", self.url_edit)
        form.addRow("Name:", self.name_edit)
        form.addRow("API key:", self.key_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add")
        self.buttons.accepted.connect(self.add)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def add(self) -> None:
        """Asks the server for its models off the GUI thread; keeps it if it answers."""
        url = self.url_edit.text().strip()
        name = self.name_edit.text().strip() or name_from_url(url)
        key = self.key_edit.text()
        if not url:
            self.message.setText("Give the server's address.")
            return
        self.name_edit.setText(name)
        self.add_button.setEnabled(False)
        self.message.setText(f"Asking {name} for its models…")
        config = self._config_dir
        self._runner.run(
            lambda: add_server(config, name, url, key),
            on_done=self._added,
            on_error=self._failed,
        )

    def _added(self, added: AddedServer) -> None:
        self.server_added.emit(added)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.add_button.setEnabled(True)
        self.message.setText(error_text(error))


def name_from_url(url: str) -> str:
    """A server name from its address: the host's first label (``gpu-box``)."""
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or "server"
    name = re.sub(r"[^A-Za-z0-9._-]", "-", host.split(".")[0] if not host[0].isdigit() else host)
    return name.strip("-._")[:64] or "server"


__all__ = ["AddServerDialog", "name_from_url"]
