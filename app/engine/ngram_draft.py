"""Prompt lookup: speculative drafts taken from the conversation's own tokens.

A reply that edits, summarises or rewrites its input repeats long runs of the prompt.
Like llama.cpp's prompt lookup, this matches the last ``n`` tokens of the history (the
prompt and the reply so far), for ``n`` from ``max_ngram`` down to ``min_ngram``, against
an earlier place in the history, and proposes the tokens that followed the most recent
such place. Nothing is kept between calls: the history is the KV cache's mirror, so the
search costs a few vectorised comparisons over it per step and nothing to build.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class PromptLookup:
    """Drafts from the history; see the module docstring."""

    # The defaults measured best of those tried on the starter's "edit this text" replies
    # (bench/speculative.py's prompts; 3..5-grams against 1..3, drafts of 4 to 16).
    def __init__(self, *, max_ngram: int = 4, min_ngram: int = 3, max_draft: int = 6) -> None:
        if not 1 <= min_ngram <= max_ngram:
            raise ValueError("need 1 <= min_ngram <= max_ngram")
        self.max_ngram = max_ngram
        self.min_ngram = min_ngram
        self.max_draft = max_draft

    def propose(self, history: np.ndarray, count: int, limit: int) -> Sequence[int]:
        """Up to ``limit`` tokens that followed the last match of the history's tail."""
        limit = min(limit, self.max_draft)
        if limit <= 0:
            return ()
        for size in range(min(self.max_ngram, count - 1), self.min_ngram - 1, -1):
            tail = history[count - size : count]
            # Starts of earlier copies of the tail with at least one token after them.
            starts = np.flatnonzero(history[: count - size] == tail[0])
            for offset in range(1, size):
                if not starts.size:
                    break
                starts = starts[history[starts + offset] == tail[offset]]
            if starts.size:
                begin = int(starts[-1]) + size
                return history[begin : min(begin + limit, count)].tolist()  # type: ignore[no-any-return]
        return ()
