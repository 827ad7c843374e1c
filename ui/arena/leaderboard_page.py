"""The arena's leaderboard: Bradley–Terry ratings with 95% intervals, win rates, vote
counts and a win-matrix heat map, filtered by tag; votes export to JSON or CSV.

The fit and its bootstrap run on this page's background runner (a few hundred refits);
the tables follow on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.arena.ratings import Leaderboard, leaderboard
from app.store.arena import ArenaStore, votes_to_csv, votes_to_json
from ui.background import BackgroundRunner, error_text

ALL_VOTES = "All votes"
COLUMNS = ("Rank", "Model", "Rating", "95% interval", "Win rate", "Won · lost · tied", "Votes")

ChooseSavePath = Callable[[QWidget, str, str], str | None]


def _choose_save_path(parent: QWidget, suggested: str, kind: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Export votes", suggested, kind)
    return path or None


@dataclass(frozen=True)
class _Fitted:
    board: Leaderboard
    tags: list[str]
    tag: str | None


def heat_colour(share: float) -> QColor:
    """Red for a losing record, through white at even, to green for a winning one."""
    share = min(1.0, max(0.0, share))
    if share >= 0.5:
        strength = (share - 0.5) * 2
        return QColor(
            int(255 - 120 * strength), int(255 - 40 * strength), int(255 - 120 * strength)
        )
    strength = (0.5 - share) * 2
    return QColor(int(255 - 20 * strength), int(255 - 130 * strength), int(255 - 130 * strength))


class LeaderboardPage(QWidget):
    """Signals: ``refreshed()`` once the tables show the latest votes."""

    refreshed = Signal()

    def __init__(
        self,
        store: ArenaStore,
        parent: QWidget | None = None,
        *,
        choose_save_path: ChooseSavePath = _choose_save_path,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._choose = choose_save_path
        self._tasks = BackgroundRunner(self, max_threads=1, name="hearth-leaderboard")
        self._ticket = 0
        self.board: Leaderboard | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show", self))
        self.tag_box = QComboBox(self)
        self.tag_box.setAccessibleName("Filter by tag")
        self.tag_box.addItem(ALL_VOTES, None)
        self.tag_box.currentIndexChanged.connect(lambda _index: self.refresh())
        top.addWidget(self.tag_box)
        top.addStretch(1)
        self.json_button = QPushButton("Export JSON…", self)
        self.csv_button = QPushButton("Export CSV…", self)
        self.json_button.clicked.connect(lambda: self.export("json"))
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        top.addWidget(self.json_button)
        top.addWidget(self.csv_button)
        layout.addLayout(top)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)
        layout.addWidget(
            QLabel("<b>Win matrix</b>: how often the row's model beat the column's", self)
        )
        self.matrix = QTableWidget(0, 0, self)
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.setAccessibleName("Win matrix")
        layout.addWidget(self.matrix, 2)
        self.note_label = QLabel(self)
        self.note_label.setObjectName("status")
        self.note_label.setWordWrap(True)
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.note_label)

    @property
    def tag(self) -> str | None:
        data = self.tag_box.currentData()
        return str(data) if data else None

    def refresh(self) -> None:
        """Fits the ratings to the votes (of the chosen tag) off the GUI thread."""
        self._ticket += 1
        ticket, tag, store = self._ticket, self.tag, self.store

        def fit() -> _Fitted:
            return _Fitted(leaderboard(store.games(tag)), store.tags(), tag)

        self._tasks.run(
            fit,
            on_done=lambda fitted: self._show(ticket, fitted),
            on_error=lambda error: self.note_label.setText(
                f"The ratings could not be fitted: {error_text(error)}"
            ),
        )

    def _show(self, ticket: int, fitted: _Fitted) -> None:
        if ticket != self._ticket:
            return
        self._show_tags(fitted.tags, fitted.tag)
        board = self.board = fitted.board
        if not board.standings:
            self.summary_label.setText("No votes yet: compare two models and vote.")
        else:
            self.summary_label.setText(
                f"{board.games} vote{'' if board.games == 1 else 's'}. Ratings are "
                "Bradley–Terry fits on an Elo-like scale "
                "(1000 is the average; 400 points are ten-to-one odds), with 95% intervals "
                "from a bootstrap of the votes."
                + (" With so few votes the intervals say little yet." if board.games < 10 else "")
            )
        self.table.setRowCount(len(board.standings))
        for row, standing in enumerate(board.standings):
            cells = (
                str(row + 1),
                standing.model,
                f"{standing.rating:.0f}",
                f"{standing.ci_low:.0f} – {standing.ci_high:.0f}",
                f"{standing.win_rate:.0%}",
                f"{standing.wins} · {standing.losses} · {standing.ties}",
                str(standing.games),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._show_matrix(board)
        self.refreshed.emit()

    def _show_tags(self, tags: list[str], chosen: str | None) -> None:
        known = [self.tag_box.itemData(i) for i in range(1, self.tag_box.count())]
        if known == tags:
            return
        self.tag_box.blockSignals(True)
        self.tag_box.clear()
        self.tag_box.addItem(ALL_VOTES, None)
        for tag in tags:
            self.tag_box.addItem(f"Tag: {tag}", tag)
        index = self.tag_box.findData(chosen) if chosen else 0
        self.tag_box.setCurrentIndex(max(0, index))
        self.tag_box.blockSignals(False)

    def _show_matrix(self, board: Leaderboard) -> None:
        names = list(board.models)
        self.matrix.setRowCount(len(names))
        self.matrix.setColumnCount(len(names))
        self.matrix.setHorizontalHeaderLabels(names)
        self.matrix.setVerticalHeaderLabels(names)
        for i, row in enumerate(board.matrix):
            for j, share in enumerate(row):
                item = QTableWidgetItem("–" if share is None else f"{share:.0%}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if share is not None:
                    item.setBackground(QBrush(heat_colour(share)))
                    item.setForeground(QBrush(QColor(20, 20, 20)))
                self.matrix.setItem(i, j, item)
        self.matrix.resizeColumnsToContents()

    def export(self, kind: str) -> None:
        suffix = "JSON (*.json)" if kind == "json" else "CSV (*.csv)"
        path = self._choose(self, f"arena-votes.{kind}", suffix)
        if not path:
            return
        votes = self.store.votes(self.tag)
        text = votes_to_json(votes) if kind == "json" else votes_to_csv(votes)
        target = Path(path)

        def write() -> int:
            target.write_text(text, encoding="utf-8")
            return len(votes)

        self._tasks.run(
            write,
            on_done=lambda count: self.note_label.setText(f"Exported {count} votes to {target}"),
            on_error=lambda error: self.note_label.setText(
                f"Could not export the votes: {error_text(error)}"
            ),
            must_finish=True,
        )

    def begin_shutdown(self) -> None:
        self._tasks.abort_all()
