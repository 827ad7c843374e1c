"""Keeps a conversation inside the model's context window.

When a conversation outgrows the context, the oldest turns are left out of the prompt.
The custom instructions (a leading system message) and the newest message are never
left out. Turns are dropped from the front so that what remains still starts with a
user message, which strict templates require.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

ChatMessage = dict[str, str]


class ContextOverflowError(ValueError):
    """Even the instructions plus the newest message do not fit."""


@dataclass(frozen=True)
class BudgetResult:
    messages: list[ChatMessage]
    prompt_tokens: int
    dropped: int


def fit_to_context(
    messages: Sequence[ChatMessage],
    count_tokens: Callable[[Sequence[ChatMessage]], int],
    budget: int,
) -> BudgetResult:
    """The longest suffix of the conversation (plus instructions) whose prompt fits ``budget``.

    ``count_tokens`` renders and tokenizes a candidate message list. The kept count is
    found by binary search, since fewer messages never need more tokens.
    """
    if not messages:
        return BudgetResult([], count_tokens([]), 0)
    head = [messages[0]] if messages[0].get("role") == "system" else []
    body = list(messages[len(head) :])

    def candidate(drop: int) -> list[ChatMessage]:
        kept = body[drop:]
        # Start on a user turn when possible; a lone newest message is always kept.
        while len(kept) > 1 and kept[0].get("role") != "user":
            kept = kept[1:]
        return head + kept

    full = count_tokens(head + body)
    if full <= budget:
        return BudgetResult(head + body, full, 0)
    low, high = 1, max(len(body) - 1, 0)  # drop at least one, keep the newest
    best: tuple[list[ChatMessage], int] | None = None
    while low <= high:
        middle = (low + high) // 2
        trial = candidate(middle)
        tokens = count_tokens(trial)
        if tokens <= budget:
            best = (trial, tokens)
            high = middle - 1
        else:
            low = middle + 1
    if best is None:
        minimal = candidate(len(body) - 1) if body else head
        needed = count_tokens(minimal)
        raise ContextOverflowError(
            f"the newest message and the instructions need {needed:,} tokens, more than the"
            f" {budget:,} the context leaves for them; raise the context length or shorten"
            " the message"
        )
    kept_messages, tokens = best
    return BudgetResult(kept_messages, tokens, len(head) + len(body) - len(kept_messages))
