"""The context budget keeps exactly as much history as fits, whatever the estimate, and
renders few candidates: once when the chat fits, a handful when it must be cut."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from app.engine.context_budget import ContextOverflowError, fit_to_context


def chat(rng: random.Random, turns: int) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": "word " * rng.randint(1, 20)}]
    for turn in range(turns):
        role = "user" if turn % 2 == 0 else "assistant"
        messages.append({"role": role, "content": "word " * rng.randint(1, 60)})
    if messages[-1]["role"] != "user":
        messages.append({"role": "user", "content": "newest " * rng.randint(1, 10)})
    return messages


class Counter:
    """A stand-in for render + tokenize: each message costs its words plus a frame."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, messages: Sequence[dict[str, str]]) -> int:
        self.calls += 1
        return 3 + sum(len(m["content"].split()) + 4 for m in messages)


def best_by_trying_every_cut(messages, budget):
    head, body = messages[:1], messages[1:]
    for drop in range(1, len(body)):
        kept = body[drop:]
        while len(kept) > 1 and kept[0]["role"] != "user":
            kept = kept[1:]
        if Counter()(head + kept) <= budget:
            return head + kept
    return None


@pytest.mark.parametrize("estimate", ["none", "good", "poor"])
def test_the_cut_is_the_best_one_whatever_the_estimate(estimate: str):
    rng = random.Random(7)
    guesses = {
        "none": None,
        "good": lambda m: len(m["content"].split()) + 4,
        "poor": lambda m: rng.randint(0, 200),
    }
    for _ in range(300):
        messages = chat(rng, rng.randint(1, 40))
        budget = rng.randint(10, 900)
        best = best_by_trying_every_cut(messages, budget)
        if Counter()(messages) <= budget:
            best = messages
        try:
            result = fit_to_context(messages, Counter(), budget, guesses[estimate])
        except ContextOverflowError:
            assert best is None
            continue
        assert result.messages == best


def test_a_good_estimate_needs_few_renders():
    rng = random.Random(3)
    messages = chat(rng, 200)
    counter = Counter()
    fit_to_context(messages, counter, 800, lambda m: len(m["content"].split()) + 4)
    assert counter.calls <= 4
    counter = Counter()
    fit_to_context(messages, counter, 10**6, lambda m: len(m["content"].split()) + 4)
    assert counter.calls == 1
