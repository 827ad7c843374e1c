"""A reply another live Hearth is writing is left alone; one whose writer died is marked.

Real processes on a real database in a private HEARTH_HOME: a child Hearth
(``hold_streaming_reply.py``) holds a reply mid-stream while this process opens Hearth on
the same folder, as the command line does beside the window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hearth import Hearth
from app.store import ConversationStore, Database
from app.store.writers import writers_folder

_HERE = Path(__file__).resolve().parent
_REPO_ROOT = _HERE.parents[2]
_CHILD = _HERE / "hold_streaming_reply.py"


class Holder:
    """A child Hearth holding one streaming reply."""

    def __init__(self, home: Path) -> None:
        env = {**os.environ, "HEARTH_HOME": str(home), "PYTHONPATH": str(_REPO_ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, str(_CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            _, err = self.process.communicate()
            pytest.fail(f"the child Hearth did not start a reply: {line!r} {err}")
        self.reply_id = int(line)

    def finish(self) -> int:
        _, err = self.process.communicate("finish\n", timeout=60)
        assert self.process.returncode == 0, err
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()  # SIGKILL on POSIX: no clean-up runs
        self.process.communicate(timeout=60)


@pytest.fixture
def holders(hearth_home: Path) -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.process.poll() is None:
            holder.kill()


def _lease_files(home: Path) -> list[Path]:
    return sorted(writers_folder(home / "data" / "hearth.sqlite3").glob("*.lock"))


def test_a_reply_a_live_hearth_is_writing_stays_streaming_when_another_opens(
    hearth_home: Path, holders: list[Holder]
) -> None:
    holder = Holder(hearth_home)
    holders.append(holder)

    hearth = Hearth.open()
    try:
        assert hearth.interrupted_on_start == 0
        assert hearth.conversations.get_message(holder.reply_id).status == "streaming"

        holder.finish()  # the writer carries on and completes its reply

        reply = hearth.conversations.get_message(holder.reply_id)
        assert (reply.status, reply.content) == ("complete", "Once upon a time.")
    finally:
        hearth.close()
    assert _lease_files(hearth_home) == []  # a writer that exits cleanly leaves no lease


def test_only_replies_whose_writer_has_gone_are_marked_interrupted(
    hearth_home: Path, holders: list[Holder]
) -> None:
    alive, killed = Holder(hearth_home), Holder(hearth_home)
    holders += [alive, killed]
    killed.kill()
    # A reply from a Hearth that recorded no writer (written before writers were kept).
    with Database.open(hearth_home / "data" / "hearth.sqlite3") as db:
        store = ConversationStore(db)
        chat = store.create_conversation("Old", None)
        legacy = store.add_message(chat.id, None, "assistant", "half", status="streaming")

    hearth = Hearth.open()
    try:
        assert hearth.interrupted_on_start == 2
        status = hearth.conversations.get_message
        assert status(alive.reply_id).status == "streaming"
        assert status(killed.reply_id).status == "interrupted"
        assert status(killed.reply_id).content == "Once upon"  # what it wrote is kept
        assert status(legacy.id).status == "interrupted"
    finally:
        hearth.close()
    # The dead writer's lease went with it; the live one's is still held.
    assert len(_lease_files(hearth_home)) == 1
    alive.finish()


def test_a_lease_is_not_a_pid_a_live_process_with_the_dead_writers_pid_does_not_count(
    hearth_home: Path,
) -> None:
    """The dead writer's pid now belongs to a live process (here: this one)."""
    db_path = hearth_home / "data" / "hearth.sqlite3"
    folder = writers_folder(db_path)
    folder.mkdir(parents=True)
    dead_writer = f"{os.getpid()}-0123456789abcdef"
    (folder / f"{dead_writer}.lock").write_text(f"{os.getpid()}\n")  # left, unlocked
    with Database.open(db_path) as db:
        store = ConversationStore(db)
        chat = store.create_conversation("Reused pid", None)
        reply = store.add_message(chat.id, None, "assistant", "cut", status="streaming")
        with db.transaction() as conn:
            conn.execute("UPDATE messages SET writer = ? WHERE id = ?", (dead_writer, reply.id))

        assert store.mark_interrupted() == 1
        assert store.get_message(reply.id).status == "interrupted"
    assert _lease_files(hearth_home) == []


def test_leases_left_by_crashed_writers_are_swept_at_start(hearth_home: Path) -> None:
    folder = writers_folder(hearth_home / "data" / "hearth.sqlite3")
    folder.mkdir(parents=True)
    crashed = folder / "1234-00000000000000aa.lock"  # a writer killed between replies
    crashed.write_text("1234\n")
    an_hour_ago = time.time() - 3600
    os.utime(crashed, (an_hour_ago, an_hour_ago))
    # Just created by a process that is about to lock it: too young to judge.
    starting = folder / "5678-00000000000000bb.lock"
    starting.write_text("5678\n")

    Hearth.open().close()

    assert not crashed.exists()
    assert starting.exists()
