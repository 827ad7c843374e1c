"""Download progress as the window shows it: bytes done, speed, time left.

The speed is smoothed (an exponential moving average over samples at least
:attr:`SpeedMeter.min_interval_s` apart) so the figure and the time left do not jump
with every network packet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of one download (a file, or all parts of a split model)."""

    done: int
    total: int
    bytes_per_second: float  # smoothed; 0 until a first measurement
    eta_seconds: float | None  # None while the speed is unknown

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[DownloadProgress], None]


class SpeedMeter:
    """Turns a running byte count into a smoothed speed and a time left."""

    def __init__(
        self,
        total: int,
        *,
        smoothing: float = 0.3,
        min_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.smoothing = smoothing
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._speed = 0.0
        self._last_time: float | None = None
        self._last_done = 0

    def start(self, done: int) -> None:
        """Begin (or begin again, after a pause or reconnect) measuring from ``done``."""
        self._last_time = self._clock()
        self._last_done = done

    def update(self, done: int) -> DownloadProgress:
        now = self._clock()
        if self._last_time is None:
            self.start(done)
        elif now - self._last_time >= self.min_interval_s:
            rate = (done - self._last_done) / (now - self._last_time)
            if self._speed == 0:  # the first measurement is taken as is
                self._speed = rate
            else:
                self._speed = self.smoothing * rate + (1 - self.smoothing) * self._speed
            self._last_time, self._last_done = now, done
        return self.snapshot(done)

    def snapshot(self, done: int) -> DownloadProgress:
        remaining = max(self.total - done, 0)
        eta = remaining / self._speed if self._speed > 0 else None
        return DownloadProgress(done, self.total, self._speed, eta)
