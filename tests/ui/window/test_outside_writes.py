"""A reply the command line writes beside the window: its chat joins the list by itself,
and opened mid-reply it grows and ends on screen (or shows as interrupted if the command
line is killed), never stuck as an empty reply that goes on forever."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from app.paths import hearth_paths
from tests.ui.sidebar.sidebar_helpers import click_row, row_of_title, titles_shown
from tests.ui.window.helpers import REPLY_TIMEOUT_MS

REPO_ROOT = Path(__file__).resolve().parents[3]
PROMPT = "Write a very long story about a lighthouse keeper, in ten chapters."


@contextmanager
def _command_line_chat(hearth_home: Path, max_tokens: int) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "chat", "--max-tokens", str(max_tokens), PROMPT],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def _stored_reply(database: Path) -> tuple[str, str] | None:
    """(status, content) of the command line's reply, as stored now."""
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT m.status, m.content FROM messages m JOIN conversations c"
                " ON c.id = m.conversation_id WHERE m.role = 'assistant' AND c.title = ?",
                (PROMPT[:60],),
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet, or busy this instant
        return None
    return (row[0], row[1]) if row else None


def _open_mid_reply(qtbot, window, database: Path):  # type: ignore[no-untyped-def]
    """Waits for the command line's chat to appear in the list by itself, and for its
    reply to have begun; opens the chat by clicking it; returns the reply's widget."""
    view = window.sidebar.list_view
    qtbot.waitUntil(lambda: PROMPT[:60] in titles_shown(view), timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: (
            (stored := _stored_reply(database)) is not None
            and stored[0] == "streaming"
            and len(stored[1]) >= 20
        ),
        timeout=REPLY_TIMEOUT_MS,
    )
    click_row(qtbot, view, row_of_title(view, PROMPT[:60]))
    qtbot.waitUntil(lambda: len(window.chat_view.widgets) == 2)
    assert not window.welcome.isVisible()  # the chat opened takes the first-run welcome's place
    return window.chat_view.widgets[1]


def test_a_reply_the_command_line_writes_grows_and_ends_in_the_window(
    qtbot, open_window, hearth_home: Path
) -> None:
    window = open_window()
    database = hearth_paths().database
    with _command_line_chat(hearth_home, 300) as child:
        reply = _open_mid_reply(qtbot, window, database)
        opened_with = reply.plain_text()
        # It grows while the command line writes, without opening the chat again.
        qtbot.waitUntil(
            lambda: len(reply.plain_text()) > len(opened_with) + 20, timeout=REPLY_TIMEOUT_MS
        )
        assert child.wait(REPLY_TIMEOUT_MS / 1000) == 0
    status, content = _stored_reply(database) or ("?", "")
    assert status == "complete"
    qtbot.waitUntil(lambda: reply.message.status == "complete", timeout=5000)
    assert reply.message.content == content
    assert " ".join(reply.plain_text().split())[:200] == " ".join(content.split())[:200]
    assert reply.regenerate_button.isVisibleTo(window)  # the last reply: it can act again


def test_a_reply_cut_off_by_killing_the_command_line_shows_as_interrupted_at_once(
    qtbot, open_window, hearth_home: Path
) -> None:
    window = open_window()
    database = hearth_paths().database
    with _command_line_chat(hearth_home, 4096) as child:
        reply = _open_mid_reply(qtbot, window, database)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        # Seen on screen, the chat still open: no restart, no reopening.
        qtbot.waitUntil(reply.status_label.isVisible, timeout=15000)
    assert reply.status_label.text().startswith("Interrupted")
    status, content = _stored_reply(database) or ("?", "")
    assert status == "interrupted"
    assert reply.message.content == content
