"""Passage embeddings: stored beside the passages, searched by cosine similarity.

sqlite-vec installs from PyPI, but Python's own ``sqlite3`` here is built without
extension loading (``enable_load_extension`` is missing), so the kept store is the index
file itself: one float32 vector per passage and embedder, normalised, in a BLOB, and
numpy's matrix product for the search. An exact search over 100,000 passages of 576
dimensions takes a few tens of milliseconds, which is within a question's budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np

from app.docs.index import DocIndex

BATCH = 16


class Embedder(Protocol):
    """Turns texts into vectors. ``name``: which model, so vectors of two never mix."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def normalised(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)


def embed_missing(
    index: DocIndex, embedder: Embedder, checkpoint: Callable[[], None] = lambda: None
) -> Iterator[int]:
    """Embeds every passage that has no vector from this embedder yet, a batch at a time
    (each batch its own transaction); yields how many are done."""
    done = 0
    while True:
        checkpoint()
        with index.db.read() as conn:
            rows = conn.execute(
                "SELECT p.id, p.text FROM passages p WHERE NOT EXISTS (SELECT 1 FROM vectors v"
                " WHERE v.passage_id = p.id AND v.model = ?) LIMIT ?",
                (embedder.name, BATCH),
            ).fetchall()
        if not rows:
            return
        matrix = normalised(embedder.embed([str(row[1]) for row in rows]))
        with index.db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO vectors (passage_id, model, vector) VALUES (?, ?, ?)",
                [(int(row[0]), embedder.name, matrix[i].tobytes()) for i, row in enumerate(rows)],
            )
        done += len(rows)
        yield done


class VectorCache:
    """The vectors of a set of files, kept in memory between questions (reading every
    BLOB each time would cost more than the search). Dropped when the index file
    changes: this connection's own writes (``total_changes``) or another process's
    (``PRAGMA data_version``)."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def load(
        self, index: DocIndex, model: str, file_ids: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        marks = ",".join("?" * len(file_ids))
        with index.db.read() as conn:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            key = (model, tuple(sorted(file_ids)), version, conn.total_changes)
            if key == self._key:
                return self._ids, self._matrix
            rows = conn.execute(
                "SELECT v.passage_id, v.vector FROM vectors v"
                " JOIN passages p ON p.id = v.passage_id"
                f" WHERE v.model = ? AND p.file_id IN ({marks})",
                (model, *file_ids),
            ).fetchall()
        ids = np.array([int(row[0]) for row in rows], dtype=np.int64)
        if rows:
            matrix = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=np.float32)
            matrix = matrix.reshape(len(rows), -1)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        self._key, self._ids, self._matrix = key, ids, matrix
        return ids, matrix


def vector_search(
    index: DocIndex,
    embedder: Embedder,
    query: str,
    file_ids: Sequence[int],
    limit: int,
    cache: VectorCache | None = None,
) -> list[tuple[int, float]]:
    """(passage id, cosine similarity) of the passages nearest the query, best first."""
    if not file_ids:
        return []
    ids, matrix = (cache or VectorCache()).load(index, embedder.name, file_ids)
    if not len(ids):
        return []
    query_vector = normalised(embedder.embed([query]))[0]
    scores = matrix @ query_vector
    best = np.argsort(-scores)[:limit]
    return [(int(ids[i]), float(scores[i])) for i in best]
