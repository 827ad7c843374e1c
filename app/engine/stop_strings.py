"""Stops a reply at a stop string without ever showing part of it.

Text that could be the start of a stop string is held back until the next piece
shows whether it is one. A stop string can only be reached by text holding its last
character (``enders``), so a caller may gather text that holds none and feed it later,
at one go, without stopping any later than feeding it piece by piece would.
"""

from __future__ import annotations

from collections.abc import Sequence


class StopStringFilter:
    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [stop for stop in stops if stop]
        self._held = ""
        # The last character of each stop string: only text holding one can end a reply.
        self.enders = frozenset(stop[-1] for stop in self._stops)

    def feed(self, text: str) -> tuple[str, bool]:
        """Returns (text safe to show, whether a stop string was reached)."""
        if not self._stops:
            return text, False
        pending = self._held + text
        earliest = min(
            (index for index in (pending.find(stop) for stop in self._stops) if index >= 0),
            default=-1,
        )
        if earliest >= 0:
            self._held = ""
            return pending[:earliest], True
        keep = self._longest_partial_stop(pending)
        self._held = pending[len(pending) - keep :] if keep else ""
        return pending[: len(pending) - keep], False

    def flush(self, text: str = "") -> str:
        """The held-back text, once the reply has ended some other way."""
        held, self._held = self._held + text, ""
        return held

    def _longest_partial_stop(self, text: str) -> int:
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), 0, -1):
                if text.endswith(stop[:size]):
                    longest = max(longest, size)
                    break
        return longest
