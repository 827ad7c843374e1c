"""Reading what a child process wrote to a pseudo-terminal (``pty.openpty``)."""

from __future__ import annotations

import os


def read_all(fd: int) -> bytes:
    """Everything the terminal's ``fd`` gives until its other end is closed; closes ``fd``."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)
