"""The settings dialog tests' store: real per-model settings in a database in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Database, ModelSettingsStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ModelSettingsStore]:
    db = Database.open(tmp_path / "data" / "hearth.sqlite3")
    yield ModelSettingsStore(db)
    db.close()
