"""Which process is writing a streaming reply, and whether that process still lives.

A process that streams replies takes a *writer lease*: a small file in the ``writers``
folder beside the database, named by a fresh random id and held under an OS file lock
(``flock`` on POSIX, ``msvcrt.locking`` on Windows) for as long as the process lives. Each
streaming reply records that id (``messages.writer``). The operating system drops the lock
when the process ends in any way (exit, crash, ``kill -9``), so another Hearth can tell a
live writer from a dead one by trying the lock: it cannot take a live writer's. Unlike a
pid, an id is never reused, so a new process that happens to get a dead writer's pid is
never mistaken for it.

One lease per process and database, taken on the first streaming reply and kept until the
process ends; a normal exit also removes its file. Files of writers that died are removed
by :func:`writer_alive` and :func:`sweep_stale_leases`.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import secrets
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

_SUFFIX = ".lock"
_ID_PATTERN = re.compile(r"[0-9]+-[0-9a-f]{16}")
# A lease file is created, then locked a moment later; a sweep leaves younger files alone
# so it never removes one in between.
_SWEEP_MIN_AGE_S = 60.0


def writers_folder(database_path: Path) -> Path:
    """Where the leases of the processes writing to this database live."""
    return Path(database_path).parent / "writers"


def _try_lock(fd: int) -> bool:
    """Take the lock on an open lease file without waiting; ``False`` if someone holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError when held; other errors: cannot tell, so held
        return False
    return True


def _remove(path: Path) -> None:
    # Already gone, or (Windows) still open somewhere: either way nothing to do.
    with contextlib.suppress(OSError):
        path.unlink()


class WriterLease:
    """This process's claim, as a writer to one database, that it is alive."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._guard = threading.Lock()
        self._id: str | None = None
        self._fd: int | None = None

    def writer_id(self) -> str | None:
        """This process's writer id, taking the lease on first use.

        ``None`` if the lease cannot be taken (a read-only folder, say): the reply is then
        recorded without a writer, and the next Hearth to start counts it as cut off, as
        every reply was counted before writers were recorded.
        """
        with self._guard:
            if self._id is None:
                try:
                    self._take()
                except OSError as problem:
                    log.warning("Cannot take a writer lease in %s: %s", self.folder, problem)
                    return None
            return self._id

    def holds(self, writer_id: str) -> bool:
        return self._id is not None and writer_id == self._id

    def _take(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        writer_id = f"{os.getpid()}-{secrets.token_hex(8)}"
        path = self.folder / f"{writer_id}{_SUFFIX}"
        # Not inherited by child processes (PEP 446), so an engine host never keeps a
        # dead window's lease alive.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        if not _try_lock(fd):  # no file locks here (some network file systems)
            os.close(fd)
            _remove(path)
            raise OSError(f"could not lock {path}")
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd, self._id = fd, writer_id

    def release(self) -> None:
        """Give the lease up (at exit): remove its file, then drop the lock."""
        with self._guard:
            if self._fd is None or self._id is None:
                return
            # Removed while still locked: a process that opened it just before sees the
            # lock free afterwards and rightly concludes this writer is gone.
            _remove(self.folder / f"{self._id}{_SUFFIX}")
            os.close(self._fd)
            self._fd = self._id = None


_leases: dict[Path, WriterLease] = {}
_leases_guard = threading.Lock()


def writer_lease(database_path: Path) -> WriterLease:
    """The lease this process uses for replies it writes to this database (one per process)."""
    folder = writers_folder(Path(database_path).resolve())
    with _leases_guard:
        lease = _leases.get(folder)
        if lease is None:
            lease = _leases[folder] = WriterLease(folder)
        return lease


@atexit.register
def _release_all() -> None:
    with _leases_guard:
        leases = list(_leases.values())
    for lease in leases:
        lease.release()


def writer_alive(folder: Path, writer_id: str | None) -> bool:
    """Whether the process that took this writer id still runs.

    ``None`` (a reply recorded without a writer) and malformed ids count as gone. A dead
    writer's file is removed on the way. When the answer cannot be known (the file is
    there but cannot be opened), the writer counts as alive: a live reply must never be
    marked interrupted.
    """
    if writer_id is None or not _ID_PATTERN.fullmatch(writer_id):
        return False
    with _leases_guard:
        if any(lease.holds(writer_id) for lease in _leases.values()):
            return True
    path = folder / f"{writer_id}{_SUFFIX}"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        held = not _try_lock(fd)
    finally:
        os.close(fd)
    if not held:
        _remove(path)
    return held


def sweep_stale_leases(folder: Path, *, now: float | None = None) -> int:
    """Remove the files of writers that died without cleaning up; returns how many."""
    current = time.time() if now is None else now
    removed = 0
    try:
        candidates = list(folder.glob(f"*{_SUFFIX}"))
    except OSError:
        return 0
    for path in candidates:
        try:
            old = current - path.stat().st_mtime >= _SWEEP_MIN_AGE_S
        except OSError:
            continue
        if old and not writer_alive(folder, path.name.removesuffix(_SUFFIX)):
            removed += 1
    return removed
