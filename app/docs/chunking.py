"""Cuts a document's pages into passages of about a paragraph, keeping where each lies.

A passage never spans two pages, so a citation names one page; within a page it covers
whole lines (``line_start``..``line_end``, 1-based), except a line longer than a passage,
which is cut at word boundaries into several passages of the same line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.docs.readers.base import Page

# About 120-180 words: long enough to hold an answer with its context, short enough
# that five of them fit a small model's window beside the conversation.
TARGET_CHARS = 900
MAX_CHARS = 1400


@dataclass(frozen=True)
class Chunk:
    page: int
    line_start: int
    line_end: int
    text: str


def _pieces(line: str) -> Iterator[str]:
    """A line cut at word boundaries into pieces of at most MAX_CHARS."""
    if len(line) <= MAX_CHARS:
        yield line
        return
    words: list[str] = []
    size = 0
    for word in line.split(" "):
        if words and size + len(word) + 1 > TARGET_CHARS:
            yield " ".join(words)
            words, size = [], 0
        words.append(word[:MAX_CHARS])
        size += len(word) + 1
    if words:
        yield " ".join(words)


def chunk_page(page: Page) -> Iterator[Chunk]:
    lines: list[str] = []
    start = 1
    size = 0
    for number, raw in enumerate(page.text.split("\n"), start=1):
        line = raw.rstrip()
        if len(line) > MAX_CHARS:
            if any(text.strip() for text in lines):
                yield Chunk(page.number, start, number - 1, "\n".join(lines).strip())
            for piece in _pieces(line):
                yield Chunk(page.number, number, number, piece.strip())
            lines, size, start = [], 0, number + 1
            continue
        if not lines:
            if not line.strip():
                continue  # a passage starts at its first line with text
            start = number
        lines.append(line)
        size += len(line) + 1
        # End a passage at a blank line once it is long enough, or when it is full.
        if (size >= TARGET_CHARS and not line.strip()) or size >= MAX_CHARS:
            if any(text.strip() for text in lines):
                yield Chunk(page.number, start, number, "\n".join(lines).strip())
            lines, size = [], 0
        elif size >= TARGET_CHARS and line.strip().endswith((".", "!", "?", ":")):
            yield Chunk(page.number, start, number, "\n".join(lines).strip())
            lines, size = [], 0
    if any(text.strip() for text in lines):
        yield Chunk(page.number, start, start + len(lines) - 1, "\n".join(lines).strip())


def chunk_pages(pages: Iterable[Page]) -> list[Chunk]:
    return [chunk for page in pages for chunk in chunk_page(page)]
