"""A writer killed at random moments never corrupts the file or loses a commit.

A child process streams a reply (a commit every few milliseconds, reporting each one on
stdout) and is killed outright (SIGKILL on POSIX) at a random moment, twenty times on the
same file. After every kill the database must pass SQLite's integrity check and hold
everything the child had reported as committed.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from app.store import ConversationStore, Database

_HERE = Path(__file__).resolve().parent
_REPO_ROOT = _HERE.parents[2]
_CHILD = _HERE / "stream_until_killed.py"
_RUNS = 20


def _load_child_module() -> ModuleType:
    # The child is a script, not a package module; load it by path for its helpers.
    spec = importlib.util.spec_from_file_location("stream_until_killed", _CHILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_child = _load_child_module()
QUESTION: str = _child.QUESTION
reply_text = _child.reply_text


def _run_and_kill(db_path: Path, delay: float, after_first_commit: bool, log: Path) -> str:
    """Start the writer, kill it ``delay`` seconds later; return everything it printed."""
    env = {**os.environ, "PYTHONPATH": str(_REPO_ROOT)}
    with log.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(_CHILD), str(db_path)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
        )
        try:
            assert child.stdout is not None
            first_line = ""
            if after_first_commit:
                # Aim the kill at the streaming loop rather than at start-up.
                first_line = child.stdout.readline()
            time.sleep(delay)
        finally:
            child.kill()
            rest, _ = child.communicate()
    return first_line + rest


def _committed(output: str) -> dict[int, int]:
    """message id -> longest length the child reported committed (whole lines only)."""
    reported: dict[int, int] = {}
    for line in output.splitlines(keepends=True):
        if not line.endswith("\n"):
            continue  # cut off mid-print by the kill
        message_id, length = (int(part) for part in line.split())
        reported[message_id] = max(length, reported.get(message_id, 0))
    return reported


def test_killed_writer_leaves_an_intact_database_with_every_commit(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    db_path = tmp_path / "hearth.sqlite3"
    must_survive: dict[int, int] = {}
    streamed_runs = 0

    for run in range(_RUNS):
        # Every fourth kill lands anywhere from start-up on (opening, creating the
        # schema, the first inserts); the others land inside the streaming loop.
        after_first_commit = run % 4 != 0
        delay = rng.uniform(0.0, 0.25)
        log = tmp_path / f"child-{run}.log"
        output = _run_and_kill(db_path, delay, after_first_commit, log)
        context = f"seed {seed}, run {run}, delay {delay:.3f}s, stderr: {log.read_text()!r}"
        reported = _committed(output)
        if after_first_commit:
            assert reported, f"the child committed nothing; {context}"
        if any(length > len(QUESTION) for length in reported.values()):
            streamed_runs += 1
        must_survive.update(reported)

        if not db_path.exists():
            continue  # killed before the file was created
        with Database.open(db_path) as db:
            with db.read() as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", context
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], context
                # The search index must agree with the messages it indexes.
                conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
            store = ConversationStore(db)
            for message_id, length in must_survive.items():
                message = store.get_message(message_id)
                assert len(message.content) >= length, f"message {message_id}; {context}"
                if message.role == "user":
                    assert message.content == QUESTION, context
                else:
                    words = len(message.content.split())
                    assert message.content == reply_text(words), context

    assert streamed_runs > 0, f"no kill landed during streaming (seed {seed})"
    with Database.open(db_path) as db:
        store = ConversationStore(db)
        store.mark_interrupted()
        replies = [
            store.get_message(message_id)
            for message_id in must_survive
            if store.get_message(message_id).role == "assistant"
        ]
    assert replies
    assert {reply.status for reply in replies} == {"interrupted"}
