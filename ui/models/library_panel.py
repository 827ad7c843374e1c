"""The models on this computer: remove, import, the models folder, and the Hub token."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.hub.errors import format_size
from app.library.local_models import LocalModel
from ui.models.search_panel import EMBEDDING_LABEL

MODEL_ROLE = Qt.ItemDataRole.UserRole


def describe(model: LocalModel) -> str:
    where = (
        "starter model"
        if model.is_starter
        else "imported, used where it is"
        if model.is_imported
        else model.repo_id or "models folder"
    )
    kind = f"  ·  {EMBEDDING_LABEL}" if model.is_embedding else ""
    return f"{model.name}  ·  {format_size(model.size_bytes)}  ·  {where}{kind}"


class LibraryPanel(QWidget):
    """Signals: ``remove_requested(object LocalModel)``, ``import_requested()``,
    ``change_folder_requested()``, ``token_entered(str)``."""

    remove_requested = Signal(object)
    import_requested = Signal()
    change_folder_requested = Signal()
    token_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models = QListWidget(self)
        self.models.setAccessibleName("Models on this computer")
        self.remove_button = QPushButton("Remove…", self)
        self.import_button = QPushButton("Import a GGUF file…", self)
        self.folder_label = QLabel(self)
        self.folder_label.setObjectName("modelsFolder")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton("Change folder…", self)
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Hugging Face access token, for gated models")
        self.token_button = QPushButton("Save token", self)
        self.token_status = QLabel(self)
        self.token_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        folder = QHBoxLayout()
        folder.addWidget(QLabel("Models folder:", self))
        folder.addWidget(self.folder_label, 1)
        folder.addWidget(self.folder_button)
        token = QHBoxLayout()
        token.addWidget(self.token, 1)
        token.addWidget(self.token_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.models, 1)
        layout.addLayout(buttons)
        layout.addLayout(folder)
        layout.addLayout(token)
        layout.addWidget(self.token_status)
        self.remove_button.clicked.connect(self._remove)
        self.import_button.clicked.connect(self.import_requested)
        self.folder_button.clicked.connect(self.change_folder_requested)
        self.token_button.clicked.connect(self._token)
        self.token.returnPressed.connect(self._token)

    def show_models(self, models: list[LocalModel], folder: str) -> None:
        self.models.clear()
        for model in models:
            item = QListWidgetItem(describe(model))
            item.setData(MODEL_ROLE, model)
            item.setToolTip(str(model.path))
            self.models.addItem(item)
        self.folder_label.setText(folder)

    def select(self, name: str) -> bool:
        for row in range(self.models.count()):
            model = self.models.item(row).data(MODEL_ROLE)
            if model.name == name:
                self.models.setCurrentRow(row)
                return True
        return False

    def _remove(self) -> None:
        item = self.models.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(MODEL_ROLE))

    def _token(self) -> None:
        text = self.token.text().strip()
        if text:
            self.token.clear()
            self.token_entered.emit(text)
