"""The arena's window: the compare page and the leaderboard, as two tabs.

It lists the models (files in the models folder, imported ones, and remote servers'
models as last listed) off the GUI thread when it opens, and refreshes the leaderboard
after every vote. Closing it stops a turn under way and ends the arena's own engine host
(``ComparePage.end_engines``); the app's engine keeps its model.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.hearth import Hearth
from app.library.local_models import chat_models
from app.remote.servers import RemoteServers
from app.store.arena import ArenaStore
from ui.arena.compare_page import ComparePage, ModelChoice
from ui.arena.leaderboard_page import LeaderboardPage
from ui.background import BackgroundRunner, error_text


class ArenaWindow(QWidget):
    """Signals: ``models_switched()``: the engine's model changed (after a vote)."""

    models_switched = Signal()

    def __init__(self, hearth: Hearth, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hearth: Arena")
        self.resize(1100, 760)
        self.hearth = hearth
        self.store = ArenaStore(hearth.database)
        self._tasks = BackgroundRunner(self, name="hearth-arena-window")
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.compare = ComparePage(hearth, self.store, self.tabs)
        self.leaderboard = LeaderboardPage(self.store, self.tabs)
        self.tabs.addTab(self.compare, "Compare")
        self.tabs.addTab(self.leaderboard, "Leaderboard")
        layout.addWidget(self.tabs)
        self.compare.voted.connect(lambda _turn: self.leaderboard.refresh())
        self.compare.models_switched.connect(self.models_switched)
        self.tabs.currentChanged.connect(self._tab_changed)

    def start(self) -> None:
        """Lists the models and fits the ratings, off the GUI thread."""
        hearth = self.hearth

        def listing() -> list[ModelChoice]:
            local = chat_models(hearth.local_models())  # an embedder cannot answer
            models = [ModelChoice(str(m.path), m.name) for m in local]
            for server in RemoteServers.in_folder(hearth.paths.config).all():
                models += [ModelChoice(str(ref), ref.label) for ref in server.refs()]
            return models

        self._tasks.run(
            listing,
            on_done=self.compare.set_models,
            on_error=lambda error: self.compare.plan_label.setText(
                f"Could not list the models: {error_text(error)}"
            ),
        )
        self.leaderboard.refresh()

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.leaderboard:
            self.leaderboard.refresh()

    def begin_shutdown(self) -> None:
        self.compare.begin_shutdown()
        self.leaderboard.begin_shutdown()
        self._tasks.abort_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.compare.end_engines()  # no engine host outlives the arena
        super().closeEvent(event)
