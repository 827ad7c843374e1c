"""The left column of the Models page: Hearth's picks first, then Hugging Face search.

Embedding models among the picks say so (:data:`EMBEDDING_LABEL`): they download like
the others, for the documents' search, and are never offered to chat with.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.hub.client import RepoSummary, SearchSort
from app.library.catalog import CatalogModel

REPO_ROLE = Qt.ItemDataRole.UserRole
EMBEDDING_LABEL = "Embedding model · for documents"
EMBEDDING_TIP = (
    "Turns passages into vectors for searching your documents: once downloaded, choose"
    ' it with "Embedding model…" under Documents › Manage collections. It cannot chat.'
)


def draft_tip(name: str, repo_id: str) -> str:
    """The tooltip of a catalog model that has a draft model to suggest."""
    return (
        f"Suggested draft model for speculative decoding: {name} ({repo_id}), a small model"
        " with the same vocabulary that guesses tokens for this one, so replies come faster."
        " Download both, then choose it under Speculative decoding in this model's settings."
    )


SORTS = (("Most downloaded", SearchSort.DOWNLOADS), ("Most liked", SearchSort.LIKES),
         ("Recently updated", SearchSort.RECENT))  # fmt: skip


class SearchPanel(QWidget):
    """Signals: ``search_requested(str query, object sort)``, ``repo_chosen(str repo_id)``."""

    search_requested = Signal(str, object)
    repo_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Search Hugging Face for GGUF models")
        self.query.setAccessibleName("Search models")
        self.sort = QComboBox(self)
        for label, sort in SORTS:
            self.sort.addItem(label, sort)
        self.search_button = QPushButton("Search", self)
        self.message = QLabel(self)
        self.message.setObjectName("searchMessage")
        self.message.setWordWrap(True)
        self.results = QListWidget(self)
        self.results.setAccessibleName("Models found")
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.sort)
        row.addWidget(self.search_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.results, 1)
        self._picks: list[CatalogModel] = []
        self.search_button.clicked.connect(self._search)
        self.query.returnPressed.connect(self._search)
        self.results.itemActivated.connect(self._chosen)
        self.results.itemClicked.connect(self._chosen)

    def show_catalog(self, models: list[CatalogModel]) -> None:
        """Hearth's picks, at the top of the list until a search replaces them."""
        self._picks = list(models)
        self.results.clear()
        self._add_header("Hearth's picks")
        for model in models:
            gated = "  (licence to accept)" if model.gated else ""
            kind = f"  ·  {EMBEDDING_LABEL}" if model.is_embedding else ""
            draft = f"  ·  draft: {model.draft.name}" if model.draft else ""
            text = f"★ {model.name} — {model.repo_id}{gated}{kind}{draft}"
            item = self._add_repo(model.repo_id, text)
            if model.is_embedding:
                item.setToolTip(EMBEDDING_TIP)
            elif model.draft:
                item.setToolTip(draft_tip(model.draft.name, model.draft.repo_id))

    def show_results(self, query: str, results: list[RepoSummary]) -> None:
        self.results.clear()
        self.message.setText(f"{len(results)} repositories with GGUF files for “{query}”."
                             if results else f"Nothing found for “{query}”.")  # fmt: skip
        for summary in results:
            gated = "  · gated" if summary.gated else ""
            text = (f"{summary.repo_id}\n   {summary.downloads:,} downloads · "
                    f"{summary.likes:,} likes{gated}")  # fmt: skip
            self._add_repo(summary.repo_id, text)

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def set_busy(self, busy: bool) -> None:
        self.search_button.setEnabled(not busy)
        if busy:
            self.message.setText("Searching…")

    def _add_header(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.results.addItem(item)

    def _add_repo(self, repo_id: str, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(REPO_ROLE, repo_id)
        self.results.addItem(item)
        return item

    def _search(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.show_catalog(self._picks)
            self.message.setText("")
            return
        self.search_requested.emit(text, self.sort.currentData())

    def _chosen(self, item: QListWidgetItem) -> None:
        repo_id = item.data(REPO_ROLE)
        if repo_id:
            self.repo_chosen.emit(str(repo_id))
