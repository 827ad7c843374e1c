"""Fixtures for the store tests: a real database file in tmp_path and a steady clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import ConversationStore, Database, ModelSettingsStore


class TickClock:
    """A clock that moves one second per reading, so "newer" never ties."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hearth.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> TickClock:
    return TickClock()


@pytest.fixture
def store(db: Database, clock: TickClock) -> ConversationStore:
    return ConversationStore(db, clock=clock)


@pytest.fixture
def settings_store(db: Database, clock: TickClock) -> ModelSettingsStore:
    return ModelSettingsStore(db, clock=clock)
