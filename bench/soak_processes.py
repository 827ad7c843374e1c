"""The processes around the soaked window: engine hosts, memory, and the CLI beside it.

Engine hosts are ``multiprocessing`` spawn children (``spawn_main`` on their command line).
The window's hosts are children of this process; a CLI started by the soak has its own,
as grandchildren, which must end with it.

:class:`CliRun` starts ``hearth …`` as a real subprocess on the same data folder and is
polled, never waited on, so the GUI thread goes on running while it works.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MIB = 1024 * 1024
REPO_ROOT = Path(__file__).resolve().parents[1]
# How long a CLI command may take (start-up, a model load and a short reply on a busy machine).
CLI_TIMEOUT_S = 240.0
# How long a CLI's engine host may outlive the CLI before it counts as an orphan.
HOST_EXIT_GRACE_S = 5.0


def _living(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _is_host(process: psutil.Process) -> bool:
    try:
        return "spawn_main" in " ".join(process.cmdline()) and _living(process)
    except psutil.Error:
        return False


def engine_hosts(parent: psutil.Process | None = None, *, recursive: bool = False) -> set[int]:
    """Living engine hosts among ``parent``'s children (this process by default)."""
    parent = parent or psutil.Process()
    try:
        children = parent.children(recursive=recursive)
    except psutil.Error:
        return set()
    return {child.pid for child in children if _is_host(child)}


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        return _living(psutil.Process(pid))
    except psutil.Error:
        return False


def rss(pid: int | None = None) -> int:
    """Resident memory of a process (this one by default), 0 if it is gone."""
    try:
        return psutil.Process(pid).memory_info().rss if pid else psutil.Process().memory_info().rss
    except psutil.Error:
        return 0


def rss_after_trim() -> int | None:
    """This process's RSS once glibc has handed free heap back (``malloc_trim``).

    What is left is memory in use; the difference was freed but kept by the allocator.
    ``None`` where there is no glibc. Call it only when done measuring: it changes RSS.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return rss()


@dataclass
class CliRun:
    """One ``hearth`` command running beside the window, polled from the GUI thread."""

    label: str
    args: list[str]
    home: Path
    expect_in_output: str = ""
    started: float = 0.0
    process: subprocess.Popen[bytes] | None = None
    hosts: set[int] = field(default_factory=set)
    returncode: int | None = None
    output: str = ""
    timed_out: bool = False
    _out_path: Path | None = None
    _ended_at: float | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "HEARTH_HOME": str(self.home),
            "PYTHONPATH": str(REPO_ROOT),
            "QT_QPA_PLATFORM": "offscreen",
        }
        handle, name = tempfile.mkstemp(prefix="soak-cli-", suffix=".log")
        self._out_path = Path(name)
        with os.fdopen(handle, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ui.launcher", *self.args],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started = time.monotonic()

    @property
    def running(self) -> bool:
        return self.process is not None and self.returncode is None

    def poll(self) -> bool:
        """Looks at the command once; ``True`` once it has ended (or was ended)."""
        process = self.process
        if process is None:
            return True
        if self.returncode is None:
            # Its engine hosts, seen while it runs: they must end with it.
            self.hosts |= engine_hosts(psutil.Process(process.pid), recursive=True)
            code = process.poll()
            if code is None and time.monotonic() - self.started > CLI_TIMEOUT_S:
                self.timed_out = True
                process.kill()
                code = process.wait(10)
            if code is None:
                return False
            self.returncode = code
            self._ended_at = time.monotonic()
            if self._out_path is not None:
                self.output = self._out_path.read_text(errors="replace")
                self._out_path.unlink(missing_ok=True)
        return True

    def leftover_hosts(self) -> set[int] | None:
        """Its hosts still alive after the grace period; ``None`` while it is too early."""
        if self._ended_at is None:
            return None
        left = {pid for pid in self.hosts if pid_alive(pid)}
        if left and time.monotonic() - self._ended_at < HOST_EXIT_GRACE_S:
            return None
        return left

    def kill(self) -> None:
        if self.process is not None and self.returncode is None:
            self.process.kill()
            self.returncode = self.process.wait(10)
            if self._out_path is not None:
                self._out_path.unlink(missing_ok=True)
