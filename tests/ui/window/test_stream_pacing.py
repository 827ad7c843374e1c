"""A very fast stream updates the view at most 60 times a second, and all of it shows."""

from __future__ import annotations

import threading
import time

from ui.main_window import MainWindow

# Dense Markdown, every block a new piece to lay out: a worst case for the view.
PIECE = "Step explained. Here is code:\n\n```python\nprint('hi')\n```\n\n- a\n- b\n\n"


def most_in_any_second(times: list[float]) -> int:
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_a_fast_dense_stream_updates_the_view_at_most_60_times_a_second(window: MainWindow, qtbot):
    chat = window.chat
    conversation = window.hearth.conversations.create_conversation("Fast", None)
    chat.show_conversation(conversation.id)
    reply = window.hearth.conversations.add_message(
        conversation.id, None, "assistant", "", status="streaming"
    )
    chat.streaming_conversation = conversation.id
    window.chat_view.begin_reply(reply)
    view_updates: list[float] = []
    window.chat_view.coalescer.turn_done.connect(
        lambda _chars: view_updates.append(time.perf_counter())
    )

    sent: list[str] = []

    def produce() -> None:  # ~7,000 characters a second for 2 s, from a worker thread
        for _ in range(200):
            sent.append(PIECE)
            window.worker.text.emit(PIECE)
            time.sleep(0.01)

    producer = threading.Thread(target=produce)
    producer.start()
    qtbot.waitUntil(lambda: not producer.is_alive(), timeout=10_000)
    producer.join()
    qtbot.waitUntil(lambda: window.chat_view.coalescer.pending_chars == 0, timeout=20_000)

    shown = window.chat_view.widget_for(reply.id)
    assert shown is not None
    assert shown.plain_text().count("print('hi')") == len(sent)
    assert len(view_updates) > 20  # the text came in as it streamed, not at the end
    assert most_in_any_second(view_updates) <= 60
