"""The collections page: named sets of files and folders any chat can switch on.

Lists the collections, and the files of the one selected with how each was indexed (or
why it could not be read). New, Add files, Add folder, Remove and Reindex act through
the documents controller, which indexes on the background runner.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.docs.index import Collection, FileRecord


class CollectionsDialog(QDialog):
    """Signals (the controller acts on them): ``new_requested()``, ``add_files_requested(int)``,
    ``add_folder_requested(int)``, ``remove_requested(int)``, ``reindex_requested(int)``,
    ``selected(int)``."""

    new_requested = Signal()
    add_files_requested = Signal(int)
    add_folder_requested = Signal(int)
    remove_requested = Signal(int)
    reindex_requested = Signal(int)
    selected = Signal(int)
    embedder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Document collections")
        self.resize(780, 480)
        self.collections = QListWidget(self)
        self.collections.setAccessibleName("Collections")
        self.files = QListWidget(self)
        self.files.setAccessibleName("Files in the collection")
        self.files.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.new_button = QPushButton("New…", self)
        self.add_files_button = QPushButton("Add files…", self)
        self.add_folder_button = QPushButton("Add folder…", self)
        self.reindex_button = QPushButton("Reindex", self)
        self.remove_button = QPushButton("Remove", self)
        self.embedder_label = QLabel(self)
        self.embedder_label.setWordWrap(True)
        self.embedder_button = QPushButton("Embedding model…", self)
        self.embedder_button.setToolTip(
            "A GGUF embedding model adds vector search to BM25 (hybrid); none is needed"
        )
        buttons = QHBoxLayout()
        for button in (
            self.new_button,
            self.add_files_button,
            self.add_folder_button,
            self.reindex_button,
            self.remove_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        lists = QHBoxLayout()
        lists.addWidget(self.collections, 1)
        lists.addWidget(self.files, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "A collection's folders are watched: new and changed files are indexed again."
                " Switch a collection on for a chat from the Documents menu under the message box.",
                self,
            )
        )
        layout.addLayout(lists, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        search_row = QHBoxLayout()
        search_row.addWidget(self.embedder_label, 1)
        search_row.addWidget(self.embedder_button)
        layout.addLayout(search_row)
        self.embedder_button.clicked.connect(self.embedder_requested)
        self.new_button.clicked.connect(self.new_requested)
        self.add_files_button.clicked.connect(lambda: self._with_current(self.add_files_requested))
        self.add_folder_button.clicked.connect(
            lambda: self._with_current(self.add_folder_requested)
        )
        self.reindex_button.clicked.connect(lambda: self._with_current(self.reindex_requested))
        self.remove_button.clicked.connect(lambda: self._with_current(self.remove_requested))
        self.collections.currentItemChanged.connect(self._current_changed)
        self._update_buttons()

    @property
    def current_id(self) -> int | None:
        item = self.collections.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _with_current(self, signal: SignalInstance) -> None:
        if self.current_id is not None:
            signal.emit(self.current_id)

    def _current_changed(self, *_args: object) -> None:
        self._update_buttons()
        if self.current_id is not None:
            self.selected.emit(self.current_id)
        else:
            self.files.clear()

    def _update_buttons(self) -> None:
        chosen = self.current_id is not None
        for button in (
            self.add_files_button,
            self.add_folder_button,
            self.reindex_button,
            self.remove_button,
        ):
            button.setEnabled(chosen)

    def show_collections(self, collections: list[Collection], select: int | None = None) -> None:
        keep = select if select is not None else self.current_id
        self.collections.blockSignals(True)
        self.collections.clear()
        for collection in collections:
            text = f"{collection.name}\n{collection.files} files · {collection.passages} passages"
            if collection.failed:
                text += f" · {collection.failed} unreadable"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, collection.id)
            item.setToolTip("\n".join(collection.sources))
            self.collections.addItem(item)
            if collection.id == keep:
                self.collections.setCurrentItem(item)
        self.collections.blockSignals(False)
        self._current_changed()

    def show_files(self, files: list[FileRecord]) -> None:
        self.files.clear()
        for record in files:
            name = Path(record.path).name
            if record.status == "indexed":
                pages = f"{record.pages} pages · " if record.kind == "pdf" else ""
                text = f"{name}: {pages}{record.passages} passages"
            else:
                text = f"{name}: not indexed. {record.error or ''}"
            item = QListWidgetItem(text)
            item.setToolTip(record.path)
            self.files.addItem(item)
