"""Opening a search hit far back in a long chat never renders the whole chat at once.

Found by the soak (``bench/soak.py``): Enter on a hit in an old message rendered every
older message in one go, freezing the window for 450 ms. Now the older messages come in a
batch per turn of the event loop until the hit is there, and the hit is then in view.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from app.hearth import Hearth
from app.paths import hearth_paths
from ui.application import close_down
from ui.chat.chat_view import FIRST_BATCH, OLDER_BATCH
from ui.main_window import MainWindow

TURNS = 60
PARAGRAPH = "A paragraph of **Markdown** with `code` and a list:\n\n- one\n- two\n\n" * 3


@pytest.fixture
def long_chat_window(qtbot: QtBot, hearth_home: Path) -> Iterator[tuple[MainWindow, int]]:
    """The real window on a chat of 120 messages; the word "aardvark" only in the first."""
    hearth = Hearth.open(hearth_paths())
    store = hearth.conversations
    conversation = store.create_conversation("A long chat", None)
    parent = None
    first_id = 0
    for turn in range(TURNS):
        question = "Tell me about the aardvark." if turn == 0 else f"Question {turn}?"
        asked = store.add_message(conversation.id, parent, "user", question)
        first_id = first_id or asked.id
        parent = store.add_message(conversation.id, asked.id, "assistant", PARAGRAPH).id
    window = MainWindow(hearth)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window, first_id
    window.close()
    close_down(window, hearth)


def test_enter_on_a_hit_far_back_renders_in_steps_and_shows_the_hit(
    qtbot: QtBot, long_chat_window: tuple[MainWindow, int]
) -> None:
    window, first_id = long_chat_window
    view = window.chat_view
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.sidebar.search_field, "aardvark")
    results = window.sidebar.results_view
    qtbot.waitUntil(lambda: results.isVisible() and results.model().rowCount() >= 1)

    qtbot.keyClick(window.sidebar.search_field, Qt.Key.Key_Return)
    # The key press returns having rendered the chat's newest messages and at most one
    # batch of older ones (before the fix: all 120 at once).
    assert len(view.widgets) <= FIRST_BATCH + OLDER_BATCH
    assert view.widget_for(first_id) is None

    qtbot.waitUntil(lambda: view.widget_for(first_id) is not None, timeout=20_000)
    hit = view.widget_for(first_id)
    assert hit is not None and hit.plain_text() == "Tell me about the aardvark."

    def hit_in_view() -> bool:
        top = hit.mapTo(view.viewport(), QPoint(0, 0)).y()
        return 0 <= top < view.viewport().height()

    qtbot.waitUntil(hit_in_view)
