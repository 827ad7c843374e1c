"""Streamed text reaches the view in order, whole, and at most one block per delivery."""

from __future__ import annotations

from ui.chat.coalescer import CATCH_UP_CHARS, TextCoalescer, first_block_cut


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


def test_a_large_backlog_is_delivered_at_once(qtbot):
    delivered: list[str] = []
    coalescer = TextCoalescer(delivered.append)
    coalescer.push("para\n\n" * (CATCH_UP_CHARS // 6 + 10))
    qtbot.waitUntil(lambda: coalescer.pending_chars == 0)
    assert len(delivered) == 1


def test_flush_delivers_everything_now(qtbot):
    delivered: list[str] = []
    coalescer = TextCoalescer(delivered.append)
    coalescer.push("a\n\nb\n\nc")
    coalescer.flush()
    assert delivered == ["a\n\nb\n\nc"] and coalescer.pending_chars == 0
