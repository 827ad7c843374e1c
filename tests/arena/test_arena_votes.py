"""Votes in the store: cast, filtered by tag, kept through a kill, exported."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.arena.ratings import leaderboard
from app.store.arena import ArenaStore, votes_to_csv, votes_to_json
from app.store.database import Database
from app.store.errors import NotFoundError
from app.store.migrations import SCHEMA_VERSION, migrate

_REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def arena(tmp_path: Path) -> Iterator[ArenaStore]:
    database = Database.open(tmp_path / "hearth.db")
    yield ArenaStore(database)
    database.close()


def test_votes_are_kept_per_turn_and_filtered_by_tag(arena: ArenaStore) -> None:
    coding = arena.create_session("smol", "gemma", model_a="s.gguf", model_b="g.gguf", tag="coding")
    writing = arena.create_session("gemma", "smol", model_a="g.gguf", model_b="s.gguf")
    first = arena.add_turn(coding.id, "Reverse a list in Python")
    second = arena.add_turn(coding.id, "And in place?")
    assert (first.position, second.position) == (1, 2)
    arena.save_answer(first.id, "a", "xs[::-1]", ttft_ms=40.0, tokens_per_s=90.0)
    arena.save_answer(first.id, "b", "reversed(xs)", status="stopped")
    arena.vote(first.id, "a")
    arena.vote(second.id, "tie")
    arena.set_tag(writing.id, " writing ")
    arena.vote(arena.add_turn(writing.id, "A haiku").id, "b")

    turn = arena.get_turn(first.id)
    assert (turn.answer_a, turn.status_b, turn.tokens_per_s_a, turn.vote) == (
        "xs[::-1]",
        "stopped",
        90.0,
        "a",
    )
    assert [v.outcome for v in arena.votes()] == ["a", "tie", "b"]
    assert [v.turn for v in arena.votes("coding")] == [1, 2]
    assert arena.tags() == ["coding", "writing"]
    board = leaderboard(arena.games(), rounds=20)
    assert board.standings[0].model == "smol"  # beat gemma twice, tied once
    assert board.standings[0].wins == 2


def test_bad_votes_and_sides_are_refused_clearly(arena: ArenaStore) -> None:
    with pytest.raises(ValueError, match="must differ"):
        arena.create_session("same", "same", model_a="x", model_b="x")
    session = arena.create_session("x", "x · temperature 1.2", model_a="x", model_b="x")
    turn = arena.add_turn(session.id, "hi")
    with pytest.raises(ValueError, match="unknown vote"):
        arena.vote(turn.id, "A wins")
    with pytest.raises(NotFoundError):
        arena.vote(turn.id + 100, "a")


def test_export_to_json_and_csv(arena: ArenaStore) -> None:
    session = arena.create_session("a-model", "b-model", model_a="a", model_b="b", tag="maths")
    arena.vote(arena.add_turn(session.id, 'Say "hi", please').id, "both_bad")
    votes = arena.votes()
    exported = json.loads(votes_to_json(votes))
    assert exported[0]["side_a"] == "a-model" and exported[0]["outcome"] == "both_bad"
    assert exported[0]["tag"] == "maths"
    rows = list(csv.DictReader(io.StringIO(votes_to_csv(votes))))
    assert rows[0]["prompt"] == 'Say "hi", please'
    assert rows[0]["outcome"] == "both_bad"


def test_a_migrated_database_gains_the_arena(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=SCHEMA_VERSION - 1)
    conn.close()
    database = Database.open(path)
    try:
        assert database.schema_version == SCHEMA_VERSION
        store = ArenaStore(database)
        assert store.votes() == []
    finally:
        database.close()


_VOTER = textwrap.dedent(
    """
    import sys, time
    from app.store.arena import ArenaStore
    from app.store.database import Database
    store = ArenaStore(Database.open(sys.argv[1]))
    session = store.create_session("left", "right", model_a="l", model_b="r")
    store.vote(store.add_turn(session.id, "q").id, "b")
    print("voted", flush=True)
    time.sleep(60)
    """
)


def test_a_vote_survives_the_process_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "hearth.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _VOTER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(_REPO_ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "voted"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    database = Database.open(path)
    try:
        votes = ArenaStore(database).votes()
        assert [(v.side_a, v.side_b, v.outcome) for v in votes] == [("left", "right", "b")]
        with database.read() as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        database.close()
