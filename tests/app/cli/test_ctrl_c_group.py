"""Ctrl+C in a terminal reaches every process of the group, the engine host included."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from app.store.conversations import ConversationStore
from app.store.database import Database
from tests.support.interactive_chat import begin_a_long_story, read_until, start_interactive_chat


def test_ctrl_c_to_the_process_group_stops_the_reply_and_keeps_the_engine(hearth_home: Path):
    child = start_interactive_chat(hearth_home, own_group=True)
    deadline = time.monotonic() + 120
    try:
        begin_a_long_story(child, deadline)
        os.killpg(child.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
        read_until(child.stdout, "> ", deadline)
        child.stdin.write("Hello\n/exit\n")
        child.stdin.flush()
        _out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 0, err
    assert "stopped" in err
    # The engine survived: no crash report and no reload before the next reply.
    assert "unexpectedly" not in err and "Reloading" not in err
    store = ConversationStore(Database.open(hearth_home / "data" / "hearth.sqlite3"))
    path = store.active_path(store.list_conversations()[0].id)
    assert path[1].status == "stopped" and path[1].content
    assert path[-1].status == "complete" and path[-1].content
