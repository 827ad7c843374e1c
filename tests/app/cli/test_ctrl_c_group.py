"""Ctrl+C in a terminal reaches every process of the group, the engine host included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.store.conversations import ConversationStore
from app.store.database import Database


def _read_until(stream, marker: str, deadline: float) -> str:  # type: ignore[no-untyped-def]
    seen = ""
    while marker not in seen:
        assert time.monotonic() < deadline, f"never saw {marker!r}; got {seen!r}"
        char = stream.read(1)
        assert char, f"stream ended before {marker!r}; got {seen!r}"
        seen += char
    return seen


def test_ctrl_c_to_the_process_group_stops_the_reply_and_keeps_the_engine(hearth_home: Path):
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "chat", "-i"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own group, as a terminal gives it
    )
    deadline = time.monotonic() + 120
    try:
        _read_until(child.stdout, "> ", deadline)
        child.stdin.write("Write a very long story about a lighthouse, in ten chapters.\n")
        child.stdin.flush()
        _read_until(child.stdout, " ", deadline)  # the reply has begun
        os.killpg(child.pid, signal.SIGINT)  # what the terminal does on Ctrl+C
        _read_until(child.stdout, "> ", deadline)
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
