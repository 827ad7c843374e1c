"""Stopping a running download from another thread: pause (keep the partial file) or
cancel (delete it). The download checks its control between chunks and while it waits
to reconnect, so either takes effect within one network read.
"""

from __future__ import annotations

import enum
import threading


class StopRequest(enum.Enum):
    PAUSE = "pause"
    CANCEL = "cancel"


class DownloadOutcome(enum.Enum):
    """How a download call ended, when it did not raise."""

    COMPLETED = "completed"  # verified and in place
    ALREADY_PRESENT = "already_present"  # the file was there before; nothing was done
    PAUSED = "paused"  # stopped; the partial file is kept for a resume
    CANCELLED = "cancelled"  # stopped; the partial file is deleted


class DownloadControl:
    """Thread-safe stop switch for one download run; a cancel overrides a pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._request: StopRequest | None = None
        self._wake = threading.Event()

    def pause(self) -> None:
        with self._lock:
            if self._request is None:
                self._request = StopRequest.PAUSE
        self._wake.set()

    def cancel(self) -> None:
        with self._lock:
            self._request = StopRequest.CANCEL
        self._wake.set()

    @property
    def requested(self) -> StopRequest | None:
        with self._lock:
            return self._request

    def wait(self, seconds: float) -> StopRequest | None:
        """Sleep up to ``seconds``, waking early on a stop request; returns the request."""
        self._wake.wait(seconds)
        return self.requested
