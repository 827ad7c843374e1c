"""Finding the passages that answer a question: BM25, vectors, and both fused.

- BM25 is SQLite FTS5's ``bm25()`` over the passages (Porter stemming), the question's
  words joined by OR with common words left out, so a passage needs no exact phrase.
- Vectors (when an embedder is set) are cosine similarity (``app.docs.vectors``).
- Hybrid fuses the two rankings by reciprocal rank (score = Σ 1/(60 + rank)), which
  needs no calibration between BM25 scores and cosines.
- When every file in scope together is small enough to fit the context comfortably, the
  files go in whole, in order, instead: nothing can be missed.

Without an embedder (a fresh install: nothing to download) it is BM25 alone; see
``bench/retrieval.py`` for the measurements behind that default.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.docs.index import DocIndex, Passage, passage_from
from app.docs.vectors import Embedder, VectorCache, vector_search

Mode = Literal["bm25", "vector", "hybrid"]
RRF_K = 60
# How many of each ranking the fusion looks at.
CANDIDATES = 50
DEFAULT_PASSAGES = 5

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "he",
        "they",
        "them",
        "their",
        "that",
        "the",
        "this",
        "those",
        "these",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "after",
        "before",
        "there",
        "then",
        "than",
        "so",
        "not",
        "no",
        "yes",
        "any",
        "all",
        "some",
        "tell",
        "say",
        "said",
        "please",
        "give",
        "name",
        "named",
        "called",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    how: str  # "bm25", "vector", "hybrid" or "whole"


@dataclass(frozen=True)
class Retrieval:
    """What one question found: the passages, and how many files were searched."""

    hits: tuple[Hit, ...]
    searched_files: int
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        files = "file" if self.searched_files == 1 else "files"
        passages = "passage" if len(self.hits) == 1 else "passages"
        return f"Searched {self.searched_files} {files} · used {len(self.hits)} {passages}"


def fts_query(question: str) -> str:
    """The question as an FTS5 query: its words, quoted, joined by OR (no syntax gets in)."""
    words: list[str] = []
    for word in _WORD.findall(question.lower()):
        if word not in _STOPWORDS and word not in words and (len(word) > 1 or word.isdigit()):
            words.append(word)
    return " OR ".join(f'"{word}"' for word in words)


def whole_budget_chars(context_tokens: int) -> int:
    """How much document text "fits comfortably": about a third of the context (at
    about three characters a token), leaving the rest to the chat and the reply."""
    return max(0, context_tokens)  # tokens x 3 chars x 1/3


class Retriever:
    """Searches the passages of the files in some collections."""

    def __init__(self, index: DocIndex, embedder: Embedder | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self._vector_cache = VectorCache()

    def file_ids(self, collection_ids: Iterable[int]) -> list[int]:
        return [f.id for f in self.index.files(collection_ids) if f.status == "indexed"]

    def bm25(self, question: str, file_ids: Sequence[int], limit: int) -> list[tuple[int, float]]:
        query = fts_query(question)
        if not query or not file_ids:
            return []
        marks = ",".join("?" * len(file_ids))
        with self.index.db.read() as conn:
            rows = conn.execute(
                "SELECT p.id, bm25(passages_fts) AS score FROM passages_fts"
                " JOIN passages p ON p.id = passages_fts.rowid"
                f" WHERE passages_fts MATCH ? AND p.file_id IN ({marks})"
                " ORDER BY score LIMIT ?",
                (query, *file_ids, limit),
            ).fetchall()
        # FTS5's bm25() is lower-is-better; shown as higher-is-better.
        return [(int(row[0]), -float(row[1])) for row in rows]

    def vectors(
        self, question: str, file_ids: Sequence[int], limit: int
    ) -> list[tuple[int, float]]:
        if self.embedder is None:
            return []
        return vector_search(
            self.index, self.embedder, question, file_ids, limit, self._vector_cache
        )

    def ranked(
        self, question: str, file_ids: Sequence[int], mode: Mode, limit: int
    ) -> list[tuple[int, float, str]]:
        """(passage id, score, how) best first, by the given mode."""
        if mode == "bm25" or (mode == "hybrid" and self.embedder is None):
            return [(pid, s, "bm25") for pid, s in self.bm25(question, file_ids, limit)]
        if mode == "vector":
            return [(pid, s, "vector") for pid, s in self.vectors(question, file_ids, limit)]
        fused: dict[int, float] = {}
        for ranking in (
            self.bm25(question, file_ids, CANDIDATES),
            self.vectors(question, file_ids, CANDIDATES),
        ):
            for rank, (pid, _score) in enumerate(ranking, start=1):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(fused.items(), key=lambda item: -item[1])[:limit]
        return [(pid, score, "hybrid") for pid, score in best]

    def search(
        self,
        question: str,
        collection_ids: Iterable[int],
        limit: int = DEFAULT_PASSAGES,
        mode: Mode = "hybrid",
        whole_chars: int = 0,
    ) -> Retrieval:
        """The passages for a question. ``whole_chars``: files in scope whose text adds
        up to at most this many characters go in whole instead."""
        started = time.perf_counter()
        file_ids = self.file_ids(collection_ids)
        if whole_chars > 0 and file_ids:
            whole = self._whole(file_ids, whole_chars)
            if whole is not None:
                return Retrieval(whole, len(file_ids), time.perf_counter() - started)
        ranked = self.ranked(question, file_ids, mode, limit)
        passages = self._passages([pid for pid, _score, _how in ranked])
        hits = tuple(
            Hit(passages[pid], score, how) for pid, score, how in ranked if pid in passages
        )
        return Retrieval(hits, len(file_ids), time.perf_counter() - started)

    def _whole(self, file_ids: Sequence[int], budget: int) -> tuple[Hit, ...] | None:
        marks = ",".join("?" * len(file_ids))
        with self.index.db.read() as conn:
            total = conn.execute(
                f"SELECT coalesce(sum(length(text)), 0) FROM passages WHERE file_id IN ({marks})",
                tuple(file_ids),
            ).fetchone()[0]
        if int(total) > budget:
            return None
        hits = []
        for file_id in file_ids:
            hits += [Hit(p, 1.0, "whole") for p in self.index.passages_of(file_id)]
        return tuple(hits)

    def _passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self.index.db.read() as conn:
            rows = conn.execute(
                "SELECT p.id, p.file_id, f.path, p.page, p.line_start, p.line_end, p.text"
                f" FROM passages p JOIN files f ON f.id = p.file_id WHERE p.id IN ({marks})",
                tuple(ids),
            ).fetchall()
        return {int(row[0]): passage_from(row) for row in rows}
