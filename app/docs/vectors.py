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


def vector_search(
    index: DocIndex, embedder: Embedder, query: str, file_ids: Sequence[int], limit: int
) -> list[tuple[int, float]]:
    """(passage id, cosine similarity) of the passages nearest the query, best first."""
    if not file_ids:
        return []
    marks = ",".join("?" * len(file_ids))
    with index.db.read() as conn:
        rows = conn.execute(
            "SELECT v.passage_id, v.vector FROM vectors v JOIN passages p ON p.id = v.passage_id"
            f" WHERE v.model = ? AND p.file_id IN ({marks})",
            (embedder.name, *file_ids),
        ).fetchall()
    if not rows:
        return []
    ids = np.array([int(row[0]) for row in rows])
    matrix = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=np.float32)
    matrix = matrix.reshape(len(rows), -1)
    query_vector = normalised(embedder.embed([query]))[0]
    scores = matrix @ query_vector
    best = np.argsort(-scores)[:limit]
    return [(int(ids[i]), float(scores[i])) for i in best]
