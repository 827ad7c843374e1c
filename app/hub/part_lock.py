"""One writer per partial download, across threads and processes.

Two downloads of the same file (the window and ``hearth models download``, two windows,
or two threads) would otherwise append to the same ``<file>.part`` at once and interleave
their bytes. So a download holds ``<file>.part.lock`` beside it, an operating-system
file lock (``flock`` on Linux and macOS, ``LockFileEx`` on Windows, through the
``filelock`` package; the system drops it when the process dies, so a killed download
never leaves a stale lock), from before it looks at the partial file until that file
is renamed into place or deleted.

A second download of the same file waits for the lock (see :mod:`app.hub.download`),
and whatever deletes a partial file for a user's cancel takes the lock first and
leaves the file alone while another download holds it (:func:`discard_part`).

The lock file is removed when its holder is done with it: on Linux and macOS while
still held, so that a waiter that opened the old file finds it unlinked and tries
again (filelock checks), on Windows by filelock itself on release.
"""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock, Timeout

from app.hub.layout import part_path

LOCK_SUFFIX = ".lock"


def lock_path(target: Path) -> Path:
    """The lock file guarding ``target``'s partial file."""
    part = part_path(target)
    return part.with_name(part.name + LOCK_SUFFIX)


class PartLock:
    """The lock on one target's ``.part``; not re-entrant, used by one download at a time."""

    def __init__(self, target: Path) -> None:
        self.path = lock_path(target)
        self._lock = FileLock(str(self.path), thread_local=False)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def try_acquire(self) -> bool:
        """Take the lock if no one else holds it; never waits. The folder must exist."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        """Give the lock up and remove its file (a no-op when not held)."""
        if not self._lock.is_locked:
            return
        try:
            if os.name == "posix":  # unlinked while held; Windows cannot, filelock does it
                self.path.unlink(missing_ok=True)
        finally:
            self._lock.release()


def discard_part(target: Path) -> bool:
    """Delete ``target``'s partial file unless another download is writing it.

    Returns True when no partial file is left, False when it was kept because another
    download (in this process or another) holds its lock.
    """
    part = part_path(target)
    if not part.exists():
        return True
    lock = PartLock(target)
    if not lock.try_acquire():
        return False
    try:
        part.unlink(missing_ok=True)
    finally:
        lock.release()
    return True
