"""Search as you type: waits for a pause in typing, then asks the store on a worker.

:class:`SearchController` debounces the text (~200 ms), runs
:meth:`ConversationStore.search` on the sidebar's :class:`~ui.background.BackgroundRunner`
(never on the GUI thread), and reports results on the GUI thread. Every change of text starts a new
generation; results that come back for an older generation are dropped, so a slow old
query can never overwrite what the user is looking at now.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal

from app.store.conversations import ConversationStore
from app.store.records import SearchHit
from ui.background import BackgroundRunner, error_text
from ui.sidebar.search_results import HIGHLIGHT

DEFAULT_DEBOUNCE_MS = 200
DEFAULT_LIMIT = 50


class SearchController(QObject):
    """Turns the search field's text into results, off the GUI thread.

    Signals:
        started(str query): the query was sent to the worker.
        results_ready(str query, list hits): hits (``SearchHit``) for the current text.
        failed(str query, str message): the current query could not run.
        cleared(): the text is empty again; nothing to show.
    """

    started = Signal(str)
    results_ready = Signal(str, list)
    failed = Signal(str, str)
    cleared = Signal()

    def __init__(
        self,
        store: ConversationStore,
        runner: BackgroundRunner,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        limit: int = DEFAULT_LIMIT,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._limit = limit
        self._text = ""
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._run)

    @property
    def query(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """The field now says ``text``; search once typing pauses."""
        if text == self._text:
            return
        self._text = text
        # Bumped on every keystroke: whatever is in flight is now out of date.
        self._generation += 1
        if not text.strip():
            self._timer.stop()
            self.cleared.emit()
            return
        self._timer.start()

    def stop(self) -> None:
        """Forget the pending search and drop any result still on its way."""
        self._timer.stop()
        self._generation += 1
        self._text = ""

    def _run(self) -> None:
        generation = self._generation
        query = self._text
        store, limit = self._store, self._limit

        def job() -> list[SearchHit]:
            return store.search(query, limit, highlight=HIGHLIGHT)

        self.started.emit(query)
        self._runner.run(
            job,
            on_done=partial(self._on_done, generation, query),
            on_error=partial(self._on_failed, generation, query),
        )

    def _on_done(self, generation: int, query: str, hits: object) -> None:
        if generation == self._generation:
            self.results_ready.emit(query, list(hits))  # type: ignore[call-overload]

    def _on_failed(self, generation: int, query: str, error: Exception) -> None:
        if generation == self._generation:
            self.failed.emit(query, error_text(error))
