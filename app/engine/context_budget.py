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
    estimate: Callable[[ChatMessage], int] | None = None,
) -> BudgetResult:
    """The longest suffix of the conversation (plus instructions) whose prompt fits ``budget``.

    ``count_tokens`` renders and tokenizes a candidate message list; it is the costly
    part, so it is called as few times as the answer allows. When the whole chat fits
    (the usual case) it is called once. Otherwise ``estimate`` (a message's tokens, on
    its own: a cheap guess) points at the cut, and the search gallops out from there
    and halves the bracket it finds, since fewer messages never need more tokens;
    without an estimate the search halves the whole range.
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
    most = max(len(body) - 1, 0)  # drop at least one, keep the newest
    counted: dict[int, int] = {}

    def fits(drop: int) -> bool:
        if drop not in counted:
            counted[drop] = count_tokens(candidate(drop))
        return counted[drop] <= budget

    low, high = _bracket(body, full - budget, most, fits, estimate)
    # Invariant: dropping fewer than ``low`` does not fit; dropping ``high`` does (or
    # high is past ``most``: nothing fits).
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    if high > most or not fits(high):
        minimal = candidate(most) if body else head
        needed = count_tokens(minimal)
        raise ContextOverflowError(
            f"the newest message and the instructions need {needed:,} tokens, more than the"
            f" {budget:,} the context leaves for them; raise the context length or shorten"
            " the message"
        )
    kept_messages = candidate(high)
    return BudgetResult(kept_messages, counted[high], len(head) + len(body) - len(kept_messages))


def _bracket(
    body: list[ChatMessage],
    excess: int,
    most: int,
    fits: Callable[[int], bool],
    estimate: Callable[[ChatMessage], int] | None,
) -> tuple[int, int]:
    """(low, high) with the answer in [low, high]; high == most + 1 when none may fit."""
    if estimate is None or most < 1:
        return 1, most + (0 if most >= 1 and fits(most) else 1)
    guess, shed = 1, 0
    for index, message in enumerate(body[:most]):
        shed += estimate(message)
        guess = index + 1
        if shed >= excess:
            break
    step = 1
    if fits(guess):
        high = guess
        low = guess - step
        while low >= 1 and fits(low):
            high = low
            step *= 2
            low = high - step
        return max(low + 1, 1), high
    low = guess + 1
    high = guess + step
    while high <= most and not fits(high):
        low = high + 1
        step *= 2
        high = guess + step
    return low, min(high, most + 1)
