"""Splits streamed text at markers (tags, special-token texts) without ever splitting one.

A marker may arrive in pieces: ``<thi`` in one chunk and ``nk>`` in the next, or one
character at a time; one marker may begin with, or hold, another (Command-R's call
opener "Action: ```json" holds the fence "```"). The scanner holds back only the
shortest tail that could still grow into a marker, and lets it go as soon as the next
chunk shows it cannot. Everything else is passed on at once. Work per chunk is
proportional to the chunk, not to the reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple


class Segment(NamedTuple):
    """A run of plain text, or one whole marker."""

    text: str
    is_marker: bool


class MarkerScanner:
    def __init__(self, markers: Iterable[str]) -> None:
        # Blank "markers" would swallow ordinary whitespace, so they are never markers.
        unique = sorted({marker for marker in markers if marker.strip()}, key=len, reverse=True)
        # Longest first, so that of two markers starting at one place the longer wins.
        self._pattern = re.compile("|".join(map(re.escape, unique))) if unique else None
        self._prefixes = frozenset(
            marker[:size] for marker in unique for size in range(1, len(marker))
        )
        self._longest = len(unique[0]) if unique else 0
        self._held = ""

    def feed(self, text: str) -> list[Segment]:
        """The segments that are certain now; a possible marker's start is kept back."""
        return self._scan(self._held + text, final=False)

    def finish(self) -> list[Segment]:
        """The text kept back, as plain text: the stream ended before it became a marker."""
        return self._scan(self._held, final=True)

    def _scan(self, text: str, *, final: bool) -> list[Segment]:
        segments: list[Segment] = []
        position = 0
        end = len(text)
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                start = match.start()
                if not final:
                    held = self._longer_marker_start(text, position, start)
                    if held is not None:
                        end = held
                        break
                if start > position:
                    segments.append(Segment(text[position:start], False))
                segments.append(Segment(match.group(), True))
                position = match.end()
            else:
                if not final:
                    end -= self._partial_marker_length(text, position)
        if end > position:
            segments.append(Segment(text[position:end], False))
        self._held = text[end:]
        return segments

    def _longer_marker_start(self, text: str, position: int, start: int) -> int | None:
        """Where a longer marker may be starting, at or before a marker found at start,
        that the text ends too soon to tell: the marker found may be the start of a
        longer one, or inside one ("```" in "Action: ```json")."""
        if len(text) - start >= self._longest:
            return None
        for begin in range(max(position, len(text) - self._longest + 1), start + 1):
            if text[begin:] in self._prefixes:
                return begin
        return None

    def _partial_marker_length(self, text: str, position: int) -> int:
        """The length of the longest tail of text[position:] that begins some marker."""
        for size in range(min(self._longest - 1, len(text) - position), 0, -1):
            if text[len(text) - size :] in self._prefixes:
                return size
        return 0
