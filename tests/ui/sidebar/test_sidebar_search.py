"""Searching from the sidebar: hits with bold matches, opening a hit, Esc, worker thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.store import ConversationStore, Database, SearchHit
from tests.ui.sidebar.sidebar_helpers import SidebarFactory, StepClock, click_row, titles_shown
from ui.sidebar import ConversationSidebar
from ui.sidebar.search_results import HIGHLIGHT, SearchRole, snippet_html


class RecordingStore(ConversationStore):
    """The real store, noting which thread each search ran on and what it looked for.

    A query listed in ``hold`` waits until ``release`` is set, to play a slow search.
    """

    def __init__(self, db: Database, clock: StepClock) -> None:
        super().__init__(db, clock=clock)
        self.threads: list[threading.Thread] = []
        self.queries: list[str] = []
        self.hold: set[str] = set()
        self.release = threading.Event()

    def search(
        self, query: str, limit: int = 50, *, highlight: tuple[str, str] = ("«", "»")
    ) -> list[SearchHit]:
        self.threads.append(threading.current_thread())
        self.queries.append(query)
        if query in self.hold:
            self.release.wait(timeout=10)
        return super().search(query, limit, highlight=highlight)


def _fill(store: ConversationStore) -> dict[str, int]:
    bread = store.create_conversation("Baking bread", None)
    question = store.add_message(bread.id, None, "user", "How long should sourdough proof?")
    answer = store.add_message(
        bread.id, question.id, "assistant", "Until doubled; <b>overnight</b> in the fridge."
    )
    trip = store.create_conversation("Trip plans", None)
    trip_message = store.add_message(trip.id, None, "user", "Pack a sourdough loaf for the train")
    return {
        "bread": bread.id,
        "question": question.id,
        "answer": answer.id,
        "trip": trip.id,
        "trip_message": trip_message.id,
    }


def _hit_rows(sidebar: ConversationSidebar) -> list[str]:
    model = sidebar.results_view.model()
    return [model.index(row, 0).data(SearchRole.HTML) for row in range(model.rowCount())]


def _type_search(qtbot: QtBot, sidebar: ConversationSidebar, text: str) -> None:
    qtbot.mouseClick(sidebar.search_field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(sidebar.search_field, text)


def test_typing_shows_hits_with_the_matched_word_in_bold(
    qtbot: QtBot, db: Database, clock: StepClock, make_sidebar: SidebarFactory
) -> None:
    store = RecordingStore(db, clock)
    _fill(store)
    sidebar = make_sidebar(store)

    _type_search(qtbot, sidebar, "sourdough")

    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 2)
    assert sidebar.results_view.isVisible()
    assert not sidebar.list_view.isVisible()
    rows = _hit_rows(sidebar)
    assert any(
        "Trip plans" in row and "Pack a <b>sourdough</b> loaf for the train" in row for row in rows
    )
    assert any("Baking bread" in row and "should <b>sourdough</b> proof" in row for row in rows)
    # Debounced: one query for the whole word, not one per letter.
    assert store.queries == ["sourdough"]
    assert threading.main_thread() not in store.threads


def test_search_runs_off_the_gui_thread(
    qtbot: QtBot, db: Database, clock: StepClock, make_sidebar: SidebarFactory
) -> None:
    store = RecordingStore(db, clock)
    _fill(store)
    sidebar = make_sidebar(store)

    _type_search(qtbot, sidebar, "fridge")

    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 1)
    assert store.threads
    assert all(thread is not threading.main_thread() for thread in store.threads)
    assert threading.current_thread() is threading.main_thread()


def test_message_html_is_shown_as_text(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _fill(store)
    sidebar = make_sidebar(store)

    _type_search(qtbot, sidebar, "overnight")

    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 1)
    [row] = _hit_rows(sidebar)
    assert "&lt;b&gt;<b>overnight</b>&lt;/b&gt;" in row


def test_snippet_html_escapes_before_marking() -> None:
    start, end = HIGHLIGHT
    snippet = f'<img src="x"> & {start}match{end} <script>'
    assert snippet_html(snippet) == '&lt;img src="x"&gt; &amp; <b>match</b> &lt;script&gt;'


def test_clicking_a_hit_opens_its_conversation_at_the_message(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _fill(store)
    sidebar = make_sidebar(store)
    _type_search(qtbot, sidebar, "train")
    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 1)

    with qtbot.waitSignal(sidebar.search_hit_activated, timeout=2000) as activated:
        click_row(qtbot, sidebar.results_view, 0)

    assert activated.args == [ids["trip"], ids["trip_message"]]
    assert sidebar.current_conversation_id() == ids["trip"]


def test_keyboard_down_and_enter_open_a_hit(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    ids = _fill(store)
    sidebar = make_sidebar(store)
    _type_search(qtbot, sidebar, "sourdough")
    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 2)
    second = sidebar.results_view.model().index(1, 0).data(SearchRole.HIT)

    qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Down)
    qtbot.keyClick(sidebar.results_view, Qt.Key.Key_Down)
    with qtbot.waitSignal(sidebar.search_hit_activated, timeout=2000) as activated:
        qtbot.keyClick(sidebar.results_view, Qt.Key.Key_Return)

    assert activated.args == [second.conversation_id, second.message_id]
    assert second.message_id in (ids["question"], ids["trip_message"])


def test_esc_and_clearing_return_to_the_list(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _fill(store)
    sidebar = make_sidebar(store)
    _type_search(qtbot, sidebar, "sourdough")
    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 2)

    qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Escape)

    assert sidebar.search_field.text() == ""
    assert sidebar.list_view.isVisible()
    assert not sidebar.results_view.isVisible()
    assert titles_shown(sidebar.list_view) == ["Trip plans", "Baking bread"]

    _type_search(qtbot, sidebar, "fridge")
    qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 1)
    for _ in "fridge":
        qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Backspace)

    assert sidebar.list_view.isVisible()
    assert not sidebar.results_view.isVisible()


def test_no_match_says_so(
    qtbot: QtBot, store: ConversationStore, make_sidebar: SidebarFactory
) -> None:
    _fill(store)
    sidebar = make_sidebar(store)

    _type_search(qtbot, sidebar, "zebra")

    qtbot.waitUntil(lambda: sidebar.search_status.text() == "No messages match \u201czebra\u201d")
    assert sidebar.search_status.isVisible()
    assert _hit_rows(sidebar) == []


def test_results_of_an_older_query_never_replace_newer_ones(
    qtbot: QtBot, db: Database, clock: StepClock, make_sidebar: SidebarFactory
) -> None:
    store = RecordingStore(db, clock)
    _fill(store)
    store.hold.add("fridge")  # the first query is slow
    sidebar = make_sidebar(store)
    shown: list[list[str]] = []
    model = sidebar.results_view.model()
    model.modelReset.connect(
        lambda: shown.append([model.index(r, 0).data() for r in range(model.rowCount())])
    )

    _type_search(qtbot, sidebar, "fridge")
    qtbot.waitUntil(lambda: "fridge" in store.queries)
    qtbot.keyClick(sidebar.search_field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(sidebar.search_field, "train")
    store.release.set()

    qtbot.waitUntil(lambda: store.queries[-1:] == ["train"] and len(_hit_rows(sidebar)) == 1)
    assert "Trip plans" in _hit_rows(sidebar)[0]
    assert not any(any("Baking bread" in text for text in snapshot) for snapshot in shown)


def test_esc_leaves_search_even_when_the_window_binds_esc(
    qtbot: QtBot, store: ConversationStore
) -> None:
    _fill(store)
    window = QWidget()
    qtbot.addWidget(window)
    sidebar = ConversationSidebar(store, window)
    QVBoxLayout(window).addWidget(sidebar)
    stops: list[str] = []
    QShortcut(QKeySequence(Qt.Key.Key_Escape), window, lambda: stops.append("stop"))
    window.show()
    qtbot.waitExposed(window)
    try:
        _type_search(qtbot, sidebar, "sourdough")
        qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 2)
        qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Down)

        qtbot.keyClick(sidebar.results_view, Qt.Key.Key_Escape)
        assert sidebar.search_field.text() == ""
        assert sidebar.list_view.isVisible()

        _type_search(qtbot, sidebar, "fridge")
        qtbot.waitUntil(lambda: len(_hit_rows(sidebar)) == 1)
        qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Escape)
        assert sidebar.search_field.text() == ""
        assert stops == []

        # With nothing to leave, Esc belongs to the window again (e.g. to stop a reply).
        qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Escape)
        assert stops == ["stop"]
    finally:
        assert sidebar.stop_background_work(10_000)
