"""The host gathers a reply's text between sends and runs the stop strings and the parser
on it at once; a stop string still ends the reply on the very token that completes it,
and the text shown is the same as when every token is fed on its own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.engine.engine import Engine
from app.engine.protocol import SamplingParams
from app.engine.stop_strings import StopStringFilter
from tests.app.engine.test_token_loop import COUNT, GREEDY

REPLY = "Hello </en and </end> more ## text STOP after, then 7 and 8 🦊 é"
STOP_SETS = [("</end>",), ("STOP", "##"), ("7",), ("é",), ("🦊 é",), ("nothing",), ()]


def _pieces(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def _fed_one_by_one(stops: tuple[str, ...], pieces: list[str]) -> tuple[str, int | None]:
    stream = StopStringFilter(stops)
    shown = []
    for index, piece in enumerate(pieces):
        text, stopped = stream.feed(piece)
        shown.append(text)
        if stopped:
            return "".join(shown), index
    return "".join(shown) + stream.flush(), None


def _gathered(stops: tuple[str, ...], pieces: list[str], every: int) -> tuple[str, int | None]:
    """As the host does it: pieces are fed when one holds a stop string's last character,
    or every ``every`` pieces (a send), and what is left at the end is flushed."""
    stream = StopStringFilter(stops)
    shown, held = [], []
    for index, piece in enumerate(pieces):
        held.append(piece)
        if not stream.enders.isdisjoint(piece) or index % every == 0:
            text, stopped = stream.feed("".join(held))
            held.clear()
            shown.append(text)
            if stopped:
                return "".join(shown), index
    return "".join(shown) + stream.flush("".join(held)), None


@pytest.mark.parametrize("stops", STOP_SETS, ids=lambda stops: "|".join(stops) or "none")
def test_gathered_text_stops_at_the_same_piece_and_shows_the_same(stops: tuple[str, ...]):
    for size in (1, 2, 3, 5, 8):
        pieces = _pieces(REPLY, size)
        for every in (1, 2, 4, 7, 1000):
            assert _gathered(stops, pieces, every) == _fed_one_by_one(stops, pieces)


def test_a_stop_string_ends_the_reply_on_the_token_that_completes_it(loaded: Engine):
    free: list[str] = []
    loaded.generate(COUNT, GREEDY, free.append)
    text = "".join(free)
    stop = text[len(text) // 2 : len(text) // 2 + 6]
    assert len(stop.strip()) > 2, text
    cut: list[str] = []
    stats = loaded.generate(COUNT, GREEDY, cut.append, stop=(stop,))
    assert stats.finish_reason == "stop"
    assert "".join(cut) == text[: text.index(stop)]
    # The reply generated no token past the one that completed the stop string.
    tokens = stats.completion_tokens
    upto: list[str] = []
    loaded.generate(COUNT, replace(GREEDY, max_tokens=tokens), upto.append)
    assert stop in "".join(upto)
    before: list[str] = []
    loaded.generate(COUNT, replace(GREEDY, max_tokens=tokens - 1), before.append)
    assert stop not in "".join(before)


def test_a_reply_that_ends_on_its_own_shows_all_of_its_text(loaded: Engine):
    question = [{"role": "user", "content": "Name three colours of the rainbow."}]
    sampling = SamplingParams(temperature=0.0, max_tokens=200, repeat_penalty=1.0)
    whole: list[str] = []
    stats = loaded.generate(question, sampling, whole.append)
    assert stats.finish_reason == "stop" and stats.completion_tokens < 200  # its own end
    # The same tokens, cut by the limit instead: the text gathered last shows either way.
    same: list[str] = []
    cut = loaded.generate(
        question, replace(sampling, max_tokens=stats.completion_tokens), same.append
    )
    assert cut.finish_reason == "length"
    assert "".join(whole).strip() and "".join(whole) == "".join(same)
