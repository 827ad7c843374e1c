"""Think-longer runs in the main database: the candidates sampled for a reply, and which
one became the new version, how (majority vote, the model as judge, raised effort) and why.

A run is stored when it starts and each candidate when it ends, so a crash keeps what
was sampled; ``message_id`` is set once the chosen answer is stored as a version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.store.database import Database


@dataclass(frozen=True)
class StoredCandidate:
    position: int  # 1-based, in the order sampled
    content: str
    temperature: float
    completion_tokens: int | None
    prompt_eval_tokens: int | None
    total_ms: float | None
    status: str  # complete, stopped, over_budget, error


@dataclass(frozen=True)
class ThinkRun:
    id: int
    source_id: int  # the reply the user asked to think longer about
    message_id: int | None  # the version made (None: stopped, or still running)
    method: str  # vote, judge, single, effort ("" until chosen)
    reason: str
    chosen: int | None  # the chosen candidate's position
    created_at: float
    candidates: tuple[StoredCandidate, ...]


class ThinkRunStore:
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    def start(self, source_id: int) -> int:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO think_runs (source_id, created_at) VALUES (?, ?)",
                (source_id, self._clock()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_candidate(self, run_id: int, candidate: StoredCandidate) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO think_candidates (run_id, position, content, "
                "temperature, completion_tokens, prompt_eval_tokens, total_ms, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    candidate.position,
                    candidate.content,
                    candidate.temperature,
                    candidate.completion_tokens,
                    candidate.prompt_eval_tokens,
                    candidate.total_ms,
                    candidate.status,
                ),
            )

    def finish(
        self, run_id: int, *, message_id: int | None, method: str, chosen: int | None, reason: str
    ) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE think_runs SET message_id = ?, method = ?, chosen = ?, reason = ? "
                "WHERE id = ?",
                (message_id, method, chosen, reason, run_id),
            )

    def get(self, run_id: int) -> ThinkRun:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT id, source_id, message_id, method, reason, chosen, created_at "
                "FROM think_runs WHERE id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise LookupError(f"no think-longer run {run_id}")
            candidates = conn.execute(
                "SELECT position, content, temperature, completion_tokens, "
                "prompt_eval_tokens, total_ms, status FROM think_candidates "
                "WHERE run_id = ? ORDER BY position",
                (run_id,),
            ).fetchall()
        run_id, source_id, message_id, method, reason, chosen, created_at = row
        return ThinkRun(
            run_id,
            source_id,
            message_id,
            method,
            reason,
            chosen,
            created_at,
            tuple(StoredCandidate(*c) for c in candidates),
        )

    def for_message(self, message_id: int) -> ThinkRun | None:
        """The run that made this version, if think longer made it."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT id FROM think_runs WHERE message_id = ? ORDER BY id DESC LIMIT 1",
                (message_id,),
            ).fetchone()
        return self.get(row[0]) if row else None

    def made_by_runs(self, message_ids: list[int]) -> set[int]:
        """Which of these messages think longer made."""
        if not message_ids:
            return set()
        marks = ", ".join("?" * len(message_ids))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT message_id FROM think_runs WHERE message_id IN ({marks})",
                message_ids,
            ).fetchall()
        return {row[0] for row in rows}
