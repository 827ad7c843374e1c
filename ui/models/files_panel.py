"""A repository's GGUF models, each with its size, its fit here and a Download button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.hub.errors import format_size
from app.library.remote_fit import FIT_CONTEXT, FileChoice

RECOMMENDED = "★ Recommended"
COLUMNS = ("", "File", "Quant", "Size", "Fit here", "")
FIT_COLUMN = 4
BUTTON_COLUMN = 5


class FilesPanel(QWidget):
    """Signals: ``download_requested(object FileChoice)``."""

    download_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Choose a model on the left to see its files.", self)
        self.title.setObjectName("filesTitle")
        self.title.setWordWrap(True)
        self.notice = QLabel(self)  # licence, offline, errors: with links where useful
        self.notice.setObjectName("filesNotice")
        self.notice.setWordWrap(True)
        self.notice.setOpenExternalLinks(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.footer = QLabel(
            f"Fit at {FIT_CONTEXT:,} tokens of context; hover for the numbers.", self
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.footer)
        self.choices: list[FileChoice] = []

    def show_loading(self, repo_id: str) -> None:
        self.title.setText(f"{repo_id}: listing its files…")
        self.notice.setText("")

    def show_choices(self, repo_id: str, choices: list[FileChoice], *, can_download: bool) -> None:
        self.title.setText(f"<b>{repo_id}</b> — {len(choices)} GGUF models")
        self.choices = list(choices)
        self.table.setRowCount(len(choices))
        for row, choice in enumerate(choices):
            group = choice.group
            parts = f" ({len(group.parts)} parts)" if group.is_split else ""
            cells = [
                RECOMMENDED if choice.recommended else "",
                group.name + parts,
                group.quant or "",
                format_size(group.total_size),
                choice.verdict_label,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == FIT_COLUMN:
                    item.setToolTip(choice.explain())
                self.table.setItem(row, column, item)
            button = QPushButton("Download", self.table)
            button.setEnabled(can_download and group.is_complete)
            button.clicked.connect(lambda _=False, c=choice: self.download_requested.emit(c))
            self.table.setCellWidget(row, BUTTON_COLUMN, button)
        self.table.resizeColumnsToContents()

    def show_notice(self, html: str) -> None:
        self.notice.setText(html)

    def row_of(self, name_or_quant: str) -> int:
        """The row of a file (by its name or quantization); -1 if not shown."""
        for row, choice in enumerate(self.choices):
            group = choice.group
            if name_or_quant in (group.name, group.quant, group.name.rsplit("/", 1)[-1]):
                return row
        return -1

    def download_button(self, row: int) -> QPushButton:
        widget = self.table.cellWidget(row, BUTTON_COLUMN)
        assert isinstance(widget, QPushButton)
        return widget
