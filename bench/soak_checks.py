"""The soak's invariants, checked after every action, and what it watches to check them.

:class:`ReplyTracker` listens to the engine worker's signals on the GUI thread (queued,
like the window's own slots) and records each reply's life: when it started, when its
text last arrived, whether Stop was pressed and when it finished.

:class:`Invariants` checks, after every action:

- ``event_loop``: no block of the GUI event loop longer than the limit (250 ms), less the
  time the GUI thread waited for a CPU (see :mod:`bench.soak_heartbeat`; ``judge_wall``
  judges the raw gap instead);
- ``database``: ``PRAGMA integrity_check`` is ``ok`` on a separate read-only connection,
  and every message the user sent (the box emptied on Enter) is stored, at the latest once
  the reply it started has finished;
- ``live_reply``: a reply this window is still writing is never marked ``interrupted``;
- ``hosts``: at most two engine hosts (the model and one loading); the CLI's hosts end
  with the CLI;
- ``stop``: after Stop the reply ends within the limit, and no text keeps coming;
- ``cli``: every ``hearth`` command beside the window succeeds;

and once the app is idle (no reply, no load):

- ``streaming``: no reply is left ``streaming`` by a writer that is idle or gone;
- ``view``: the chat shown is the conversation's stored path, with stored text and status;
- ``orphans``: no engine host other than the loaded model's;
- ``rss``: this process's resident memory within the slack of its level after the first
  load (engine hosts are reported, not judged: their size depends on the model loaded).
"""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication

from bench.soak_heartbeat import Block, Heartbeat
from bench.soak_processes import MIB, CliRun, engine_hosts, pid_alive, rss
from ui.main_window import MainWindow

# Text that arrives this long after Stop means the Stop was not honoured.
STOP_TEXT_GRACE_S = 1.0


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str
    action_index: int
    action: str
    at_s: float


@dataclass
class SentMessage:
    text: str
    finished_before: int  # replies finished when it was sent: the next one answers it
    action_index: int
    found: bool = False


@dataclass
class ReplyLife:
    message_id: int
    started: float
    stop_at: float | None = None
    last_text_at: float | None = None
    chunks: int = 0


class ReplyTracker(QObject):
    """What the engine worker reported, seen on the GUI thread."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.finished = 0
        self.live: ReplyLife | None = None
        self.statuses: Counter[str] = Counter()
        self.stop_latencies: list[float] = []
        self.stop_pending_since: float | None = None
        self.stops_during_prompt = 0
        self.problems: list[tuple[str, str]] = []  # (invariant, detail) found in slots
        # The last replies' lives as the window saw them, printed beside a view fault.
        self.trail: deque[str] = deque(maxlen=TRAIL_LENGTH)
        chat = window.chat
        show = chat.show_conversation

        def show_traced(conversation_id: int | None) -> None:
            self.note(f"show chat {conversation_id}")
            show(conversation_id)

        chat.show_conversation = show_traced  # type: ignore[method-assign]
        worker = window.worker
        worker.reply_started.connect(self._started)
        worker.text.connect(self._text)
        worker.thinking.connect(self._text)
        worker.reply_finished.connect(self._finished)

    def note_stop(self) -> str:
        """The user pressed Stop; returns where the reply was ("" if none was live)."""
        if not self.window.chat.busy:
            return ""
        now = time.monotonic()
        if self.stop_pending_since is None:
            self.stop_pending_since = now
        live = self.live
        if live is None:
            return "before start"
        if live.stop_at is None:
            live.stop_at = now
        if live.chunks == 0:
            self.stops_during_prompt += 1
            return "during prompt"
        return "mid-reply"

    @Slot(object)
    def _started(self, message: Any) -> None:
        self.live = ReplyLife(message.id, time.monotonic(), stop_at=self.stop_pending_since)
        self.note(f"reply {message.id} started in chat {message.conversation_id}")

    def note(self, event: str) -> None:
        """Adds an event to the trail, with what the window shows at that moment."""
        chat = self.window.chat
        self.trail.append(
            f"{time.monotonic():.2f} {event} (showing {chat.conversation_id},"
            f" streaming {chat.streaming_conversation})"
        )

    @Slot(str)
    def _text(self, _text: str) -> None:
        if self.live is not None:
            self.live.chunks += 1
            self.live.last_text_at = time.monotonic()

    @Slot(object)
    def _finished(self, result: Any) -> None:
        now = time.monotonic()
        self.finished += 1
        status = getattr(result.message, "status", "?")
        self.statuses[status] += 1
        message = result.message
        self.note(
            f"reply {message.id} ended {status} in chat {message.conversation_id},"
            f" {len(message.content)} chars, {self.live.chunks if self.live else 0} chunks seen"
        )
        live, self.live = self.live, None
        if self.stop_pending_since is not None:
            self.stop_latencies.append(now - self.stop_pending_since)
        stop_at = live.stop_at if live else self.stop_pending_since
        self.stop_pending_since = None
        if (
            live is not None
            and stop_at is not None
            and status == "complete"
            and live.last_text_at is not None
            and live.last_text_at > stop_at + STOP_TEXT_GRACE_S
        ):
            late = live.last_text_at - stop_at
            self.problems.append(
                (
                    "stop",
                    f"reply {live.message_id} ran to completion: Stop was pressed, yet its "
                    f"text kept coming for {late:.1f} s",
                )
            )


TRAIL_LENGTH = 30


@dataclass
class Limits:
    max_block_ms: float = 250.0
    rss_slack_mb: float = 50.0
    stop_limit_s: float = 8.0
    judge_wall: bool = False  # judge raw gaps, run-queue delay included


def describe_block(block: Block) -> str:
    where = f" during {block.action}" if block.action else ""
    stack = f"\n{block.stack}" if block.stack else ""
    return (
        f"event loop blocked {block.ms:.0f} ms{where} (gap {block.wall_ms:.0f} ms: GUI thread"
        f" on a CPU {block.cpu_ms:.0f} ms, waiting for one {block.runqueue_ms:.0f} ms){stack}"
    )


@dataclass
class Invariants:
    """Checks the invariants; each check runs outside the heartbeat's count."""

    window: MainWindow
    tracker: ReplyTracker
    heartbeat: Heartbeat
    limits: Limits
    started: float = field(default_factory=time.monotonic)
    sent: list[SentMessage] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    rss_baseline: int = 0
    rss_max: int = 0
    rss_last_idle: int = 0
    host_rss: dict[str, list[int]] = field(default_factory=dict)
    cli_runs: list[CliRun] = field(default_factory=list)
    idle_checks: int = 0
    last_block_ms: float = 0.0
    widgets_baseline: int = 0  # live widgets, a leak's first sign
    widgets_last_idle: int = 0
    objects_baseline: int = 0  # Python objects the garbage collector tracks
    objects_last_idle: int = 0
    python_blocks_last_idle: int = 0  # memory blocks Python's allocator holds
    _reported: set[str] = field(default_factory=set)
    _rss_reported: int = 0
    _db: sqlite3.Connection | None = None

    def open(self) -> None:
        path: Path = self.window.hearth.paths.database
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def record_sent(self, text: str, action_index: int) -> None:
        self.sent.append(SentMessage(text, self.tracker.finished, action_index))

    def set_rss_baseline(self) -> None:
        self.rss_baseline = self.rss_max = self.rss_last_idle = rss()
        self.widgets_baseline = self.widgets_last_idle = len(QApplication.allWidgets())
        self.objects_baseline = self.objects_last_idle = len(gc.get_objects())

    # Checking --------------------------------------------------------------------------

    def check(self, index: int, action: str, *, idle: bool) -> list[Violation]:
        found: list[tuple[str, str]] = []
        block, wall = self.heartbeat.take()
        if self.limits.judge_wall:
            block = wall
        self.last_block_ms = block.wall_ms if self.limits.judge_wall else block.ms
        if self.last_block_ms > self.limits.max_block_ms:
            found.append(("event_loop", describe_block(block)))
        with self.heartbeat.excluded():
            found += self.tracker.problems
            self.tracker.problems = []
            found += self._database()
            found += self._live_reply()
            found += self._hosts()
            found += self._stop()
            found += self._cli()
            if idle:
                self.idle_checks += 1
                found += self._streaming()
                found += self._view()
                found += self._orphans()
                found += self._memory()
        now = time.monotonic() - self.started
        new = [Violation(name, detail, index, action, now) for name, detail in found]
        self.violations += new
        return new

    def _query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        assert self._db is not None
        return self._db.execute(sql, args).fetchall()

    def _database(self) -> list[tuple[str, str]]:
        found = []
        result = self._query("PRAGMA integrity_check")
        if [row[0] for row in result] != ["ok"]:
            found.append(("database", f"integrity_check: {result[:5]}"))
        busy = self.window.chat.busy
        for sent in self.sent:
            if sent.found:
                continue
            rows = self._query(
                "SELECT id FROM messages WHERE role = 'user' AND content = ?", sent.text
            )
            if rows:
                sent.found = True
            elif not busy or self.tracker.finished > sent.finished_before:
                sent.found = True  # reported once
                found.append(
                    (
                        "database",
                        f"sent message (action {sent.action_index}) is not in the database:"
                        f" {sent.text[:80]!r}",
                    )
                )
        return found

    def _live_reply(self) -> list[tuple[str, str]]:
        found = []
        live = self.tracker.live
        if live is not None:
            rows = self._query("SELECT status FROM messages WHERE id = ?", live.message_id)
            if rows and rows[0][0] == "interrupted":
                found.append(
                    ("live_reply", f"reply {live.message_id} marked interrupted while written")
                )
        for (message_id,) in self._query("SELECT id FROM messages WHERE status = 'interrupted'"):
            key = f"interrupted-{message_id}"
            if key not in self._reported:
                self._reported.add(key)
                found.append(("live_reply", f"reply {message_id} is marked interrupted"))
        return found

    def _hosts(self) -> list[tuple[str, str]]:
        hosts = engine_hosts()
        if len(hosts) > 2:
            return [("hosts", f"{len(hosts)} engine hosts at once: {sorted(hosts)}")]
        return []

    def _stop(self) -> list[tuple[str, str]]:
        since = self.tracker.stop_pending_since
        if since is None or not self.window.chat.busy:
            return []
        waited = time.monotonic() - since
        key = f"stop-{since}"
        if waited > self.limits.stop_limit_s and key not in self._reported:
            self._reported.add(key)
            return [("stop", f"the reply has not ended {waited:.1f} s after Stop")]
        return []

    def _cli(self) -> list[tuple[str, str]]:
        found = []
        for run in list(self.cli_runs):
            if not run.poll():
                continue
            key = f"cli-{id(run)}"
            if key not in self._reported:
                self._reported.add(key)
                if run.timed_out:
                    found.append(("cli", f"`hearth {run.label}` did not end; it was killed"))
                elif run.returncode != 0:
                    tail = run.output.strip()[-400:]
                    found.append(("cli", f"`hearth {run.label}` exited {run.returncode}: {tail}"))
                elif run.expect_in_output and run.expect_in_output not in run.output:
                    found.append(
                        (
                            "cli",
                            f"`hearth {run.label}` printed no {run.expect_in_output!r}:"
                            f" {run.output.strip()[-300:]}",
                        )
                    )
            left = run.leftover_hosts()
            if left is None:
                continue
            if left:
                found.append(("orphans", f"`hearth {run.label}` left engine hosts {sorted(left)}"))
            self.cli_runs.remove(run)
        return found

    # When idle ---------------------------------------------------------------------------

    def _streaming(self) -> list[tuple[str, str]]:
        found = []
        rows = self._query("SELECT id, writer FROM messages WHERE status = 'streaming'")
        for message_id, writer in rows:
            pid = _writer_pid(writer)
            if pid is None or pid == os.getpid() or not pid_alive(pid):
                found.append(("streaming", f"reply {message_id} left streaming (writer {writer})"))
        return found

    def _view(self) -> list[tuple[str, str]]:
        chat = self.window.chat
        shown = self.window.chat_view.shown_ids()
        conversation_id = chat.conversation_id
        if conversation_id is None:
            return [("view", f"a new chat shows messages {shown}")] if shown else []
        stored = self._query(_ACTIVE_PATH_SQL, conversation_id)
        path = [row[0] for row in stored]
        if shown != path:
            return [
                (
                    "view",
                    f"conversation {conversation_id} shows {shown}, its stored path is {path}",
                )
            ]
        found = []
        by_id = {row[0]: row for row in stored}
        for widget in self.window.chat_view.widgets:
            message = widget.message
            _id, status, content = by_id[message.id]
            if status == "streaming" and message.status == "streaming":
                continue  # another process writes it: the view follows it a poll behind
            if message.status != status or message.content != content:
                found.append(
                    (
                        "view",
                        f"message {message.id} shown as {message.status!r}"
                        f" ({len(message.content)} chars), stored as {status!r}"
                        f" ({len(content)} chars)",
                    )
                )
        if self.window.composer.button.text() != "Send":
            found.append(("view", "the Send button still says Stop while idle"))
        return found

    def _orphans(self) -> list[tuple[str, str]]:
        hosts = engine_hosts()
        loaded = self.window.hearth.engine.host_pid
        extra = hosts - {loaded} if loaded is not None else hosts
        if extra:
            return [("orphans", f"engine hosts {sorted(extra)} besides the loaded {loaded}")]
        return []

    def _memory(self) -> list[tuple[str, str]]:
        self.widgets_last_idle = len(QApplication.allWidgets())
        self.objects_last_idle = len(gc.get_objects())
        self.python_blocks_last_idle = sys.getallocatedblocks()
        now = rss()
        self.rss_last_idle = now
        self.rss_max = max(self.rss_max, now)
        engine = self.window.hearth.engine
        info = engine.info
        if info is not None and pid_alive(engine.host_pid):
            self.host_rss.setdefault(Path(info.model_path).name, []).append(rss(engine.host_pid))
        grown = (now - self.rss_baseline) / MIB
        # Reported when first over the slack, then at each further 10 MB.
        if grown > self.limits.rss_slack_mb and now > self._rss_reported + 10 * MIB:
            self._rss_reported = now
            return [
                (
                    "rss",
                    f"RSS {now / MIB:.0f} MB, {grown:+.0f} MB from"
                    f" {self.rss_baseline / MIB:.0f} MB after the first load",
                )
            ]
        return []


def _writer_pid(writer: str | None) -> int | None:
    if not writer or "-" not in writer:
        return None
    head = writer.split("-", 1)[0]
    return int(head) if head.isdigit() else None


# The conversation's shown path, climbing from its current leaf (as the store defines it).
_ACTIVE_PATH_SQL = """
WITH RECURSIVE up(id, depth) AS (
    SELECT current_leaf_id, 0 FROM conversations
    WHERE id = ? AND current_leaf_id IS NOT NULL
    UNION ALL
    SELECT m.parent_id, up.depth + 1 FROM messages AS m JOIN up ON m.id = up.id
    WHERE m.parent_id IS NOT NULL
)
SELECT m.id, m.status, m.content FROM up JOIN messages AS m ON m.id = up.id
ORDER BY up.depth DESC
"""
