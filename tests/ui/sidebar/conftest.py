"""Fixtures for the sidebar tests: a real database in tmp_path, and a shown sidebar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.store import ConversationStore, Database
from tests.ui.sidebar.sidebar_helpers import SidebarFactory, StepClock
from ui.sidebar import ConversationSidebar


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "data" / "hearth.sqlite3")
    yield database
    database.close()


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def store(db: Database, clock: StepClock) -> ConversationStore:
    return ConversationStore(db, clock=clock)


@pytest.fixture
def make_sidebar(qtbot: QtBot, clock: StepClock, db: Database) -> Iterator[SidebarFactory]:
    """Builds a shown sidebar; waits for its background work before the DB closes
    (depending on ``db`` makes this teardown run before the database's).

    The sidebar reads the time where the store's clock last stopped, so the newest
    conversation is "just now".
    """
    made: list[ConversationSidebar] = []

    def make(store: ConversationStore, **options: object) -> ConversationSidebar:
        options.setdefault("clock", lambda: clock.now)
        sidebar = ConversationSidebar(store, **options)  # type: ignore[arg-type]
        qtbot.addWidget(sidebar)
        sidebar.resize(320, 520)
        sidebar.show()
        qtbot.waitExposed(sidebar)
        made.append(sidebar)
        return sidebar

    yield make
    for sidebar in made:
        assert sidebar.stop_background_work(10_000)
