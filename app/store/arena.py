"""Arena sessions, their turns and the user's votes, kept in the main database.

A session pits two *sides* against each other: a side is a model, or a model with
other settings, and its name (``side_a``/``side_b``) is what ratings are kept under.
Every turn is one prompt with both answers; an answer is written when its side is done
(a side cut short keeps its text as "stopped"), and a vote is committed the moment it
is cast, so a crash never loses one. Votes export to JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from app.arena.ratings import OUTCOMES, Game
from app.store.database import Database
from app.store.errors import NotFoundError

Side = Literal["a", "b"]


@dataclass(frozen=True)
class ArenaSession:
    id: int
    created_at: float
    tag: str
    side_a: str
    side_b: str
    model_a: str
    model_b: str
    settings_a: dict[str, Any]
    settings_b: dict[str, Any]


@dataclass(frozen=True)
class ArenaTurn:
    id: int
    session_id: int
    position: int
    prompt: str
    answer_a: str
    answer_b: str
    status_a: str
    status_b: str
    ttft_ms_a: float | None
    ttft_ms_b: float | None
    tokens_per_s_a: float | None
    tokens_per_s_b: float | None
    vote: str | None
    voted_at: float | None
    created_at: float


@dataclass(frozen=True)
class VoteRecord:
    """One vote as exported: who met whom, on which prompt, and how it went."""

    session_id: int
    turn: int
    tag: str
    side_a: str
    side_b: str
    outcome: str
    voted_at: float
    prompt: str

    def game(self) -> Game:
        return Game(self.side_a, self.side_b, self.outcome)  # type: ignore[arg-type]


_TURN_COLUMNS = (
    "id, session_id, position, prompt, answer_a, answer_b, status_a, status_b, ttft_ms_a, "
    "ttft_ms_b, tokens_per_s_a, tokens_per_s_b, vote, voted_at, created_at"
)
_SESSION_COLUMNS = "id, created_at, tag, side_a, side_b, model_a, model_b, settings_a, settings_b"


def _session(row: sqlite3.Row) -> ArenaSession:
    values = list(row)
    values[7] = json.loads(values[7] or "{}")
    values[8] = json.loads(values[8] or "{}")
    return ArenaSession(*values)


class ArenaStore:
    """Arena sessions, turns and votes in ``database``. Every method is one transaction."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    # Sessions ----------------------------------------------------------------------

    def create_session(
        self,
        side_a: str,
        side_b: str,
        *,
        model_a: str,
        model_b: str,
        settings_a: dict[str, Any] | None = None,
        settings_b: dict[str, Any] | None = None,
        tag: str = "",
    ) -> ArenaSession:
        if side_a == side_b:
            raise ValueError("the two sides of a comparison must differ (model or settings)")
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"INSERT INTO arena_sessions ({_SESSION_COLUMNS}) "
                "VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._clock(),
                    tag.strip(),
                    side_a,
                    side_b,
                    model_a,
                    model_b,
                    json.dumps(settings_a or {}, sort_keys=True),
                    json.dumps(settings_b or {}, sort_keys=True),
                ),
            )
            session_id = cursor.lastrowid
        assert session_id is not None
        return self.get_session(session_id)

    def get_session(self, session_id: int) -> ArenaSession:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM arena_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no arena session {session_id}")
        return _session(row)

    def list_sessions(self) -> list[ArenaSession]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM arena_sessions ORDER BY id DESC"
            ).fetchall()
        return [_session(row) for row in rows]

    def set_tag(self, session_id: int, tag: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE arena_sessions SET tag = ? WHERE id = ?", (tag.strip(), session_id)
            )

    def tags(self) -> list[str]:
        """Every tag put on a session, sorted."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT tag FROM arena_sessions WHERE tag != '' ORDER BY tag"
            ).fetchall()
        return [row[0] for row in rows]

    def delete_session(self, session_id: int) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM arena_sessions WHERE id = ?", (session_id,))

    # Turns ---------------------------------------------------------------------------

    def add_turn(self, session_id: int, prompt: str) -> ArenaTurn:
        """A new turn at the end of the session, both answers still to come."""
        with self._db.transaction() as conn:
            self.get_session(session_id)
            position = conn.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM arena_turns WHERE session_id = ?",
                (session_id,),
            ).fetchone()[0]
            cursor = conn.execute(
                "INSERT INTO arena_turns (session_id, position, prompt, created_at) "
                "VALUES (?, ?, ?, ?)",
                (session_id, position, prompt, self._clock()),
            )
            turn_id = cursor.lastrowid
        assert turn_id is not None
        return self.get_turn(turn_id)

    def get_turn(self, turn_id: int) -> ArenaTurn:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_TURN_COLUMNS} FROM arena_turns WHERE id = ?", (turn_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no arena turn {turn_id}")
        return ArenaTurn(*row)

    def turns(self, session_id: int) -> list[ArenaTurn]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_TURN_COLUMNS} FROM arena_turns WHERE session_id = ? ORDER BY position",
                (session_id,),
            ).fetchall()
        return [ArenaTurn(*row) for row in rows]

    def save_answer(
        self,
        turn_id: int,
        side: Side,
        text: str,
        *,
        status: str = "complete",
        ttft_ms: float | None = None,
        tokens_per_s: float | None = None,
    ) -> None:
        """One side's answer (and its figures) for a turn."""
        if side not in ("a", "b"):
            raise ValueError(f"no side {side!r}")
        with self._db.transaction() as conn:
            conn.execute(
                f"UPDATE arena_turns SET answer_{side} = ?, status_{side} = ?, "
                f"ttft_ms_{side} = ?, tokens_per_s_{side} = ? WHERE id = ?",
                (text, status, ttft_ms, tokens_per_s, turn_id),
            )

    def vote(self, turn_id: int, outcome: str) -> ArenaTurn:
        """Records the user's verdict on a turn (a later vote on it replaces the first)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown vote {outcome!r}: one of {', '.join(OUTCOMES)}")
        with self._db.transaction() as conn:
            changed = conn.execute(
                "UPDATE arena_turns SET vote = ?, voted_at = ? WHERE id = ?",
                (outcome, self._clock(), turn_id),
            ).rowcount
        if not changed:
            raise NotFoundError(f"no arena turn {turn_id}")
        return self.get_turn(turn_id)

    # Votes -------------------------------------------------------------------------

    def votes(self, tag: str | None = None) -> list[VoteRecord]:
        """Every vote cast, oldest first; with ``tag``, only those of sessions so tagged."""
        query = (
            "SELECT s.id, t.position, s.tag, s.side_a, s.side_b, t.vote, t.voted_at, t.prompt "
            "FROM arena_turns t JOIN arena_sessions s ON s.id = t.session_id "
            "WHERE t.vote IS NOT NULL"
        )
        parameters: tuple[Any, ...] = ()
        if tag:
            query += " AND s.tag = ?"
            parameters = (tag,)
        with self._db.read() as conn:
            rows = conn.execute(query + " ORDER BY t.voted_at, t.id", parameters).fetchall()
        return [VoteRecord(*row) for row in rows]

    def games(self, tag: str | None = None) -> list[Game]:
        return [vote.game() for vote in self.votes(tag)]


EXPORT_FIELDS = (
    "session_id",
    "turn",
    "tag",
    "side_a",
    "side_b",
    "outcome",
    "voted_at",
    "prompt",
)


def votes_to_json(votes: list[VoteRecord]) -> str:
    return json.dumps([asdict(vote) for vote in votes], indent=2, ensure_ascii=False) + "\n"


def votes_to_csv(votes: list[VoteRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for vote in votes:
        writer.writerow(asdict(vote))
    return out.getvalue()
