"""Streamed text reaches the view in order, whole, one block per delivery, in short turns."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from ui.chat.coalescer import TURN_BUDGET_SECONDS, TextCoalescer, first_block_cut


def test_a_cut_finishes_at_most_one_block():
    assert first_block_cut("no block ends here") == len("no block ends here")
    assert first_block_cut("one\n\ntwo") == len("one\n\ntwo")
    text = "one\n\ntwo\n\nthree"
    assert text[: first_block_cut(text)] == "one\n\n"
    code = "```python\nx = 1\n```\n\nafter\n\nmore"
    assert code[: first_block_cut(code)] == "```python\n"


def test_every_piece_arrives_in_order_and_in_few_deliveries(qtbot):
    delivered: list[str] = []
    coalescer = TextCoalescer(delivered.append)
    pieces = [f"word{i} " + ("\n\n" if i % 7 == 0 else "") for i in range(200)]
    for piece in pieces:
        coalescer.push(piece)
    qtbot.waitUntil(lambda: coalescer.pending_chars == 0)
    assert "".join(delivered) == "".join(pieces)
    assert all(first_block_cut(d) == len(d) for d in delivered)  # one block at most each
    assert len(delivered) < len(pieces)


def test_a_backlog_drains_in_short_turns_that_let_the_window_breathe(qtbot):
    """Slow blocks are spread over turns; other events run between them."""
    turns = [0]
    turn_of_delivery: list[int] = []
    delivered: list[str] = []

    def slow_deliver(text: str) -> None:
        time.sleep(0.002)  # a block that takes a while to lay out
        delivered.append(text)
        turn_of_delivery.append(turns[0])

    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    ticker.start()
    coalescer = TextCoalescer(slow_deliver)
    blocks = [f"paragraph {i}\n\n" for i in range(60)]
    coalescer.push("".join(blocks))
    qtbot.waitUntil(lambda: coalescer.pending_chars == 0)
    ticker.stop()

    assert delivered == blocks
    per_turn = [turn_of_delivery.count(t) for t in set(turn_of_delivery)]
    most_in_budget = int(TURN_BUDGET_SECONDS / 0.002) + 1
    assert len(per_turn) >= 60 // most_in_budget
    assert max(per_turn) <= most_in_budget
    assert max(per_turn) > 1  # blocks share a turn's layout and repaint


def test_flush_delivers_everything_now(qtbot):
    delivered: list[str] = []
    coalescer = TextCoalescer(delivered.append)
    coalescer.push("a\n\nb\n\nc")
    coalescer.flush()
    assert delivered == ["a\n\nb\n\nc"] and coalescer.pending_chars == 0
