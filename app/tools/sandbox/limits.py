"""What one run of sandboxed code may use, and what it gave back."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class SandboxLimits:
    """Limits for one run.

    time_seconds: wall-clock time before the run is killed (CPU time is capped just
    above it too). memory_bytes: address space of each process. processes: how many
    processes and threads at once. file_bytes: the largest file it may write.
    open_files: file descriptors per process. output_bytes: how much of stdout and of
    stderr is kept (the rest is read and dropped, so a flood cannot fill memory).
    """

    time_seconds: float = 30.0
    memory_bytes: int = 1024 * MIB
    processes: int = 64
    file_bytes: int = 256 * MIB
    open_files: int = 256
    output_bytes: int = 64 * 1024

    @property
    def cpu_seconds(self) -> int:
        return int(self.time_seconds) + 1


@dataclass(frozen=True)
class SandboxRun:
    """What one run gave back.

    exit_code: the program's status (128 + N when signal N ended it); None when it
    never started. timed_out: killed at the time limit. truncated: output beyond
    ``output_bytes`` was dropped. setup_error: the confinement could not be set up, so
    the code did not run at all.
    """

    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    truncated: bool = False
    setup_error: str = ""
