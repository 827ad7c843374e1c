"""How responsive the window stays while a long conversation renders a fast stream.

Opens the real main window on a private HEARTH_HOME holding a long conversation
(default 200 messages, with code), then streams a reply two ways:

1. a synthetic source on another thread at 1,000 tokens/s (Markdown with code fences),
   joined every 8 ms as the engine host joins a fast model's tokens, through the same
   queued signal the engine worker uses;
2. the real starter model through the engine.

The synthetic streams are: typical Markdown, a dense worst case (a code block, a list
and a table every 26 tokens), and a mathematical answer (formulas in every sentence).

A timer asks to run every 5 ms; how late each tick runs is the event loop's delay, the
lag a person feels. Prints p50, p99 and worst for each, and a baseline with no stream.
Targets: p99 under 16 ms, worst under 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_responsiveness.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from app.engine.host import SEND_INTERVAL_SECONDS

TICK_MS = 5
SYNTHETIC_PIECES = [
    "Here ",
    "is ",
    "a ",
    "function",
    ":\n\n",
    "```python\n",
    "def ",
    "add",
    "(a, ",
    "b):\n",
    "    return ",
    "a + b\n",
    "```\n\n",
    "It ",
    "adds ",
    "two ",
    "**numbers**",
    ". ",
    "- one\n",
    "- two\n\n",
    "| a | b |\n",
    "|---|---|\n",
    "| 1 | 2 |\n\n",
    "More ",
    "text ",
    "follows. ",
]


class LoopLatency:
    """Records how late a 5 ms timer fires: the event loop's responsiveness."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.delays.clear()
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        if self._last:
            self.delays.append(max(0.0, now - self._last - TICK_MS))
        self._last = now

    def summary(self) -> str:
        if not self.delays:
            return "no samples"
        ordered = sorted(self.delays)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"p50 {statistics.median(ordered):5.1f} ms  p99 {p99:5.1f} ms  "
            f"worst {ordered[-1]:5.1f} ms  ({len(ordered)} ticks)"
        )


def typical_pieces() -> list[str]:
    """A long answer's shape: paragraphs of ~60 tokens, a 12-line code block every ~300."""
    sentence = ["The ", "keeper ", "climbs ", "the ", "stairs ", "and ", "checks ", "the "]
    paragraph = [*sentence, "lamp. "] * 7 + ["\n\n"]
    code = ["```python\n"]
    for n in range(12):
        code += [f"line_{n} = compute({n}, ", "step=2)\n"]
    code += ["```\n\n"]
    return paragraph * 4 + code


TYPICAL_PIECES = typical_pieces()


def formula_pieces(paragraphs: int = 40) -> list[str]:
    """A mathematical answer: inline formulas in every sentence, a displayed one per
    paragraph, split into tokens the way a model writes them, and different in every
    paragraph, so each is typeset anew (once, when it closes; the tail re-rendered
    after that reuses the image)."""
    pieces: list[str] = []
    for n in range(1, paragraphs + 1):
        for k in range(4):
            pieces += ["The ", "sum ", "$\\", "sum", "_{", "i", f"={k}}}", "^", f"{n} ", "i", "$ "]
            pieces += ["is ", "$\\", "frac", f"{{{n}", f"({n}", "+1)}", "{2", "}$", ", and "]
            pieces += [f"$x_{{{n}}}", f"^{k + 2}", "$ ", "too. "]
        pieces += ["\n\n", "$$", "\\int", "_0", f"^{n} ", "x", "^2", "\\,", "dx ", "= "]
        pieces += ["\\frac", f"{{{n}^3}}", "{3}", "$$", "\n\n"]
    return pieces


FORMULA_PIECES = formula_pieces()


def stream_synthetic(
    app: QApplication,
    window,
    hearth,
    conversation: int,
    latency: LoopLatency,
    pieces: list[str],
    label: str,
    seconds: float,
) -> None:
    reply = hearth.conversations.add_message(
        conversation,
        hearth.conversations.active_path(conversation)[-1].id,
        "assistant",
        "",
        status="streaming",
    )
    window.chat.conversation_id = conversation
    window.chat.streaming_conversation = conversation
    window.chat_view.begin_reply(reply)
    stop = threading.Event()

    def produce() -> None:
        # Tokens at 1,000/s, joined and sent every SEND_INTERVAL_SECONDS the way the
        # engine host sends a fast model's text.
        index = 0
        pending: list[str] = []
        next_at = last_send = time.perf_counter()
        while not stop.is_set():
            pending.append(pieces[index % len(pieces)])
            index += 1
            now = time.perf_counter()
            if now - last_send >= SEND_INTERVAL_SECONDS:
                window.worker.text.emit("".join(pending))
                pending.clear()
                last_send = now
            next_at += 0.001
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        if pending:
            window.worker.text.emit("".join(pending))

    producer = threading.Thread(target=produce)
    coalescer = window.chat_view.coalescer
    turns: list[float] = []

    def count_turn(_chars: int) -> None:
        turns.append(time.perf_counter())

    coalescer.turn_done.connect(count_turn)
    latency.start()
    started = time.perf_counter()
    producer.start()
    wait(app, seconds)
    stop.set()
    producer.join()
    # Measure until everything produced is on screen, so a backlog cannot hide.
    stream_ended = time.perf_counter()
    wait(app, 120, lambda: not coalescer.pending_chars)
    caught_up_ms = (time.perf_counter() - stream_ended) * 1000
    latency.stop()
    coalescer.turn_done.disconnect(count_turn)
    widget = window.chat_view.widget_for(reply.id)
    streamed = len(widget.plain_text()) if widget else 0
    rate = len(turns) / max(1e-9, (turns[-1] if turns else started) - started)
    print(
        f"synthetic {label:8s} 1,000 tok/s {latency.summary()}  "
        f"[{streamed:,} chars shown, {rate:.0f} view updates/s, "
        f"all on screen {caught_up_ms:.0f} ms after the stream ended]"
    )
    window.chat.streaming_conversation = None
    hearth.conversations.update_message(reply.id, status="complete")


def fill_history(hearth, messages: int) -> int:
    store = hearth.conversations
    conversation = store.create_conversation("A long conversation", None)
    parent = None
    body = "".join(SYNTHETIC_PIECES) * 6
    for index in range(messages // 2):
        user = store.add_message(conversation.id, parent, "user", f"Question {index}?")
        parent = store.add_message(conversation.id, user.id, "assistant", body).id
    return conversation.id


def wait(app: QApplication, seconds: float, until=lambda: False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-bench-")
    app = QApplication([])
    from app.hearth import Hearth
    from ui.main_window import MainWindow
    from ui.style import apply_style

    apply_style(app)  # the window's own style sheet: polishing each new widget costs
    hearth = Hearth.open()
    conversation = fill_history(hearth, args.messages)
    window = MainWindow(hearth)
    window.show()
    window.start()
    wait(app, 60, lambda: window.chat.model_ready)
    started = time.perf_counter()
    window.chat.show_conversation(conversation)
    print(
        f"Opened a {args.messages}-message conversation in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    latency = LoopLatency()

    latency.start()
    wait(app, 2.0)
    latency.stop()
    print(f"idle                          {latency.summary()}")

    # 1. Synthetic streams at 1,000 tokens/s from another thread, through the worker's
    # signal: Markdown shaped like a typical long answer, then the dense worst case.
    # Each in a long conversation of its own, so one stream's reply does not weigh on the next.
    for label, pieces in (
        ("typical", TYPICAL_PIECES),
        ("dense", SYNTHETIC_PIECES),
        ("formulas", FORMULA_PIECES),
    ):
        own = fill_history(hearth, args.messages)
        window.chat.show_conversation(own)
        wait(app, 0.5)
        stream_synthetic(app, window, hearth, own, latency, pieces, label, args.seconds)

    # 2. The real model through the engine worker.
    window.chat.show_conversation(conversation)
    window.chat.model_ready = True
    latency.start()
    window.chat.send("Write a long story about a lighthouse, with a code example.")
    wait(app, 120, lambda: not window.chat.busy)
    latency.stop()
    print(f"real model (starter)          {latency.summary()}")
    window.close()
    hearth.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
