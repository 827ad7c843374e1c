"""Runs a child process with a wall-clock limit and bounded output capture.

Output is read by two threads, so that a program printing without end neither blocks
nor fills Hearth's memory: the first ``output_bytes`` of each stream are kept and the
rest is read and dropped. At the time limit the whole process group is killed (the
confinements make sure that ends everything the program started).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

_READ_SIZE = 65536
_DRAIN_SECONDS = 5.0  # after the program ends: time for the pipes to close


@dataclass(frozen=True)
class ProcessOutcome:
    stdout: bytes
    stderr: bytes
    returncode: int
    timed_out: bool
    truncated: bool


class _Capture:
    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.data = bytearray()
        self.truncated = False
        self._stream = stream
        self._limit = limit
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self._stream.fileno(), _READ_SIZE):
                room = self._limit - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
                if len(chunk) > max(room, 0):
                    self.truncated = True
        except (OSError, ValueError):
            pass


def _write_all(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.close()
    except (OSError, ValueError):  # the program ended without reading it all
        pass


def run_bounded(
    argv: Sequence[str],
    *,
    stdin: bytes,
    timeout: float,
    output_bytes: int,
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    popen_options: Mapping[str, Any] | None = None,
) -> ProcessOutcome:
    """Runs argv to its end or to the time limit; never raises for what the program does."""
    options: dict[str, Any] = dict(popen_options or {})
    if sys.platform != "win32":
        options.setdefault("start_new_session", True)
        options["pass_fds"] = tuple(pass_fds)
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=None if env is None else dict(env),
        **options,
    )
    assert process.stdin and process.stdout and process.stderr
    out = _Capture(process.stdout, output_bytes)
    err = _Capture(process.stderr, output_bytes)
    writer = threading.Thread(target=_write_all, args=(process.stdin, stdin), daemon=True)
    writer.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process)
        process.wait()
    for capture in (out, err):
        capture.thread.join(_DRAIN_SECONDS)
    for stream in (process.stdout, process.stderr):
        with contextlib.suppress(OSError):
            stream.close()
    return ProcessOutcome(
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        returncode=process.returncode,
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    if sys.platform == "win32":
        process.kill()  # the job object ends the rest with the launcher
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
