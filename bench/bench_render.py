"""Benchmark: time per streamed update of a chat message, against message length.

Streams generated Markdown (paragraphs, lists, tables, code blocks) into a
MessageBody in 10-character chunks, the way the chat window appends coalesced
tokens, and measures the time of one update (append + the event processing
that lays out and paints it) when the message is 1k, 10k and 50k characters
long. The same is measured for the naive approach, ``setMarkdown(full text)``
on one QTextBrowser per update. A flat column (ratio near 1) means an update
costs what arrived, not the size of the message.

Also shown: a reply with formulas in every paragraph (each typeset once, when its
closing delimiter arrives), a message that is one long code block (streams line by
line; Pygments lexes from the last line it can resume from), and the known limit of
the approach: one huge block with no blank line in it (a
giant table or paragraph) is the open tail until it ends, so it is re-rendered
whole on each update.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_render.py
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication, QScrollArea, QTextBrowser

from ui.render.message_body import MessageBody
from ui.render.safe_markdown import MARKDOWN_FEATURES

LENGTHS = (1_000, 10_000, 50_000)
CHUNK = 10
SAMPLES = 40  # updates timed at each length
NAIVE_SAMPLES = 8

_FILLER = (
    "the model returns tokens while the window keeps up with every chunk of text and "
    "renders markdown with lists tables code and links so that a long answer stays smooth"
)
_WORDS = _FILLER.split()


def generate_markdown(length: int, seed: int = 7, *, formulas: bool = False) -> str:
    """Deterministic, reply-like Markdown of at least ``length`` characters; with
    ``formulas``, each paragraph ends in an inline formula and display ones recur."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    section = 0
    while size < length:
        kind = section % 6
        if kind == 0:
            parts.append(f"## Part {section}")
        if kind in (0, 1, 3, 5):
            sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(30, 70)))
            tail = f" and $x_{section}^2 + \\frac{{a}}{{{section + 1}}}$." if formulas else "."
            parts.append(sentence.capitalize() + ", with **bold** and `code`" + tail)
            if formulas and section % 3 == 0:
                parts.append(f"$$\\sum_{{i=1}}^{{{section}}} i = \\frac{{n(n+1)}}{{2}}$$")
        elif kind == 2:
            parts.append("\n".join(f"{n}. Step {n}: {rng.choice(_WORDS)}" for n in range(1, 6)))
        elif kind == 4:
            body = "\n".join(f"    total += item_{n} * {n}  # add {n}" for n in range(12))
            parts.append(
                f"```python\ndef compute(items):\n    total = 0\n{body}\n    return total\n```"
            )
        if section % 9 == 8:
            rows = "\n".join(f"| row {n} | {n * 3} | {rng.choice(_WORDS)} |" for n in range(6))
            parts.append("| name | value | note |\n|---|---|---|\n" + rows)
        size += len(parts[-1]) + 2
        section += 1
    return "\n\n".join(parts)


def _timed(update: Callable[[], None], app: QApplication) -> float:
    start = time.perf_counter()
    update()
    app.processEvents()
    return time.perf_counter() - start


def bench_incremental(app: QApplication, text: str, lengths: tuple[int, ...]) -> list[float]:
    """Mean seconds per append at each length, streaming ``text`` into a MessageBody."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    body = MessageBody()
    area.setWidget(body)
    area.resize(800, 600)
    area.show()
    app.processEvents()
    results: list[float] = []
    position = 0
    for length in lengths:
        measure_from = length - SAMPLES * CHUNK
        total = 0.0
        while position < length:
            chunk = text[position : position + CHUNK]
            position += CHUNK
            spent = _timed(lambda chunk=chunk: body.append(chunk), app)
            if position > measure_from:
                total += spent
        results.append(total / SAMPLES)
    area.close()
    area.deleteLater()
    return results


def bench_naive(app: QApplication, text: str, lengths: tuple[int, ...]) -> list[float]:
    """Mean seconds per update at each length, re-rendering the full text each time."""
    browser = QTextBrowser()
    browser.resize(800, 600)
    browser.show()
    app.processEvents()
    results: list[float] = []
    for length in lengths:
        total = 0.0
        for sample in range(NAIVE_SAMPLES):
            full = text[: length - (NAIVE_SAMPLES - sample) * CHUNK]

            def update(full: str = full) -> None:
                browser.document().setMarkdown(full, MARKDOWN_FEATURES)
                browser.document().size()  # lay it out, as a height-following view must

            total += _timed(update, app)
        results.append(total / NAIVE_SAMPLES)
    browser.close()
    browser.deleteLater()
    return results


def _row(label: str, values: list[float]) -> str:
    cells = "".join(f"{value * 1000:>11.3f}" for value in values)
    return f"{label:<34}{cells}{values[-1] / values[0]:>13.2f}"


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    lengths = LENGTHS
    reply = generate_markdown(max(lengths))
    code_lines = "\n".join(f"value_{n} = compute(value_{n - 1}) + {n}" for n in range(3000))
    one_code_block = "```python\n" + code_lines
    table_rows = "\n".join(f"| row {n} | {n * 7} | {n % 13} |" for n in range(3000))
    one_table = "| a | b | c |\n|---|---|---|\n" + table_rows

    print(f"Time per update (ms), appending {CHUNK}-character chunks; each update includes")
    print("event processing (layout and paint) in an 800x600 scroll area, offscreen.\n")
    header = "".join(f"{f'{n // 1000}k chars':>11}" for n in lengths)
    print(f"{'':<34}{header}{'last/first':>13}")
    print(_row("MessageBody, mixed reply", bench_incremental(app, reply, lengths)))
    print(_row("naive setMarkdown(full), mixed", bench_naive(app, reply, lengths)))
    with_math = generate_markdown(max(lengths), formulas=True)
    print(_row("MessageBody, reply with formulas", bench_incremental(app, with_math, lengths)))
    print(_row("MessageBody, one code block", bench_incremental(app, one_code_block, lengths)))
    short = lengths[:2]
    table = bench_incremental(app, one_table, short)
    print(_row("MessageBody, one giant table*", table))
    print(
        "\n* known limit: a block with no blank line in it stays the open tail until it"
        "\n  ends, so it is re-rendered whole on each update (measured to 10k only)."
    )


if __name__ == "__main__":
    main()
