"""What each question's reply was given: kept in the index file, shown under the answer.

Keyed by the user's message (its id in the chats database): the passages as they were
sent, numbered as the prompt numbered them, with their place and score, so a citation
still opens the right text after the file changes or leaves the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.docs.index import DocIndex
from app.docs.retrieval import Retrieval


@dataclass(frozen=True)
class Source:
    number: int
    path: str
    page: int
    line_start: int
    line_end: int
    score: float
    how: str
    text: str

    @property
    def place(self) -> str:
        name = Path(self.path).name
        if self.page:
            return f"{name}, page {self.page}"
        if self.line_start == self.line_end:
            return f"{name}, line {self.line_start}"
        return f"{name}, lines {self.line_start}-{self.line_end}"


@dataclass(frozen=True)
class QuestionSources:
    searched_files: int
    sources: tuple[Source, ...]

    @property
    def summary(self) -> str:
        files = "file" if self.searched_files == 1 else "files"
        passages = "passage" if len(self.sources) == 1 else "passages"
        return f"Searched {self.searched_files} {files} · used {len(self.sources)} {passages}"

    def source(self, number: int) -> Source | None:
        return next((s for s in self.sources if s.number == number), None)


def record(index: DocIndex, message_id: int, retrieval: Retrieval) -> None:
    """Keeps what a question was given (replacing what an earlier reply to it got)."""
    with index.db.transaction() as conn:
        conn.execute("DELETE FROM question_sources WHERE message_id = ?", (message_id,))
        conn.executemany(
            "INSERT INTO question_sources (message_id, number, path, page, line_start,"
            " line_end, score, how, text, searched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    message_id,
                    number,
                    hit.passage.path,
                    hit.passage.page,
                    hit.passage.line_start,
                    hit.passage.line_end,
                    hit.score,
                    hit.how,
                    hit.passage.text,
                    retrieval.searched_files,
                )
                for number, hit in enumerate(retrieval.hits, start=1)
            ],
        )


def sources_for(index: DocIndex, message_id: int) -> QuestionSources | None:
    with index.db.read() as conn:
        rows = conn.execute(
            "SELECT number, path, page, line_start, line_end, score, how, text, searched"
            " FROM question_sources WHERE message_id = ? ORDER BY number",
            (message_id,),
        ).fetchall()
    if not rows:
        return None
    return QuestionSources(
        int(rows[0][8]),
        tuple(
            Source(
                int(r[0]),
                str(r[1]),
                int(r[2]),
                int(r[3]),
                int(r[4]),
                float(r[5]),
                str(r[6]),
                str(r[7]),
            )
            for r in rows
        ),
    )
