"""How long the GUI event loop goes without running: a 10 ms heartbeat and a watchdog.

A precise 10 ms ``QTimer`` ticks on the GUI thread. The time between two ticks, less the
interval, is how long the loop could not run anything. Two amounts are taken out of it:

- the soak's own synchronous checks, which run inside :meth:`Heartbeat.excluded`;
- on Linux, the time the GUI thread was ready to run but waiting for a CPU (the
  scheduler's run-queue delay, from ``/proc/self/task/<tid>/schedstat``). On a machine
  with more runnable threads than cores (the engine host's threads, other programs),
  that is the machine being oversubscribed, not the event loop being blocked.

What is left is a *block*: work on the GUI thread, or the GUI thread waiting (a lock, a
disk write, another thread). Each block also records the raw wall-clock gap, the GUI
thread's CPU time and its run-queue delay, so both readings can be judged.

A watchdog thread looks at the heartbeat every 25 ms; once a stall passes 150 ms it samples
the GUI thread's Python stack, so a long block comes with where the loop was stuck.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

INTERVAL_MS = 10
# Blocks at least this long are kept in the record (with their stack, when one was taken).
RECORD_MS = 100.0
_STALL_SAMPLE_S = 0.15
_WATCH_S = 0.025
_KEPT_BLOCKS = 200


@dataclass(frozen=True)
class Block:
    """One stretch with no heartbeat: how long, during which action, and where it was stuck.

    ``ms`` is the block (wall gap less the interval, the soak's checks and the run-queue
    delay); ``wall_ms`` the raw gap less the interval; ``cpu_ms`` and ``runqueue_ms`` the
    GUI thread's CPU time and time waiting for a CPU within the gap.
    """

    ms: float
    action: str
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    runqueue_ms: float = 0.0
    stack: str = ""


_NO_BLOCK = Block(0.0, "")


class _SchedStat:
    """The calling thread's CPU time and run-queue delay, in seconds (zeros off Linux)."""

    def __init__(self) -> None:
        self._path = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self.available = self._path.exists()

    def read(self) -> tuple[float, float]:
        if not self.available:
            return 0.0, 0.0
        try:
            cpu_ns, wait_ns, *_rest = self._path.read_text().split()
        except (OSError, ValueError):
            return 0.0, 0.0
        return int(cpu_ns) / 1e9, int(wait_ns) / 1e9


class Heartbeat(QObject):
    """Measures event-loop blocks on the GUI thread; read :attr:`worst` and :meth:`take`."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.action = ""  # what the soak is doing now, recorded with each block
        self.worst = _NO_BLOCK  # the longest block
        self.worst_wall = _NO_BLOCK  # the longest raw gap
        self.blocks: list[Block] = []
        self.ticks = 0
        self._since_take = _NO_BLOCK
        self._since_take_wall = _NO_BLOCK
        self._last: float | None = None
        self._sched = _SchedStat()
        self._last_sched = (0.0, 0.0)
        self._excluded = 0.0
        self._excluding = False
        self._stall_stack = ""
        self._main = threading.get_ident()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._watching = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="soak-watchdog", daemon=True)

    @property
    def measures_runqueue(self) -> bool:
        return self._sched.available

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_sched = self._sched.read()
        self._timer.start()
        self._watching.set()
        self._watchdog.start()

    def stop(self) -> None:
        self._timer.stop()
        self._watching.clear()
        if self._watchdog.is_alive():
            self._watchdog.join(1.0)

    @contextmanager
    def excluded(self) -> Iterator[None]:
        """The soak's own synchronous work: not counted as the app blocking the loop."""
        started = time.perf_counter()
        self._excluding = True
        try:
            yield
        finally:
            self._excluded += time.perf_counter() - started
            self._excluding = False

    def take(self) -> tuple[Block, Block]:
        """The longest block and the longest raw gap since the last call (0 ms if none)."""
        block, self._since_take = self._since_take, _NO_BLOCK
        wall, self._since_take_wall = self._since_take_wall, _NO_BLOCK
        return block, wall

    def _tick(self) -> None:
        now = time.perf_counter()
        sched = self._sched.read()
        if self._last is not None:
            wall = (now - self._last - self._excluded) * 1000 - self.interval_ms
            cpu = (sched[0] - self._last_sched[0]) * 1000
            runqueue = (sched[1] - self._last_sched[1]) * 1000
            blocked = wall - runqueue
            if blocked > self._since_take.ms or wall > self._since_take_wall.wall_ms:
                stack = self._stall_stack if wall > 150 else ""
                block = Block(blocked, self.action, wall, cpu, runqueue, stack)
                if wall > self._since_take_wall.wall_ms:
                    self._since_take_wall = block
                if wall > self.worst_wall.wall_ms:
                    self.worst_wall = block
                if blocked > self._since_take.ms:
                    self._since_take = block
                if blocked > self.worst.ms:
                    self.worst = block
                if blocked >= RECORD_MS and len(self.blocks) < _KEPT_BLOCKS:
                    self.blocks.append(block)
        self.ticks += 1
        self._last = now
        self._last_sched = sched
        self._excluded = 0.0
        self._stall_stack = ""

    def _watch(self) -> None:
        while self._watching.is_set():
            time.sleep(_WATCH_S)
            last = self._last
            if last is None or self._excluding or self._stall_stack:
                continue
            if time.perf_counter() - last - self._excluded > _STALL_SAMPLE_S:
                frame = sys._current_frames().get(self._main)
                if frame is not None:
                    self._stall_stack = "".join(traceback.format_stack(frame)[-14:])
