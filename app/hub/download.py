"""Downloading one model file, or every part of a split model, resumably and verified.

huggingface_hub's own downloader does not resume across restarts, so files are fetched
here: bytes stream into ``<file>.part`` beside the target (with ``Range: bytes=N-`` to
carry on from an earlier run's partial file, whose bytes are hashed again first), are
hashed as they arrive, checked against the listing's sha256, and only then renamed to
the file's name. So a file in the models folder is always complete and verified.

One download at a time writes a given ``.part``: each holds its lock
(:mod:`app.hub.part_lock`) from before it reads the partial file until the file is in
place or deleted. A second download of the same file, from this process or another
Hearth, waits for the first (it can still be paused or cancelled meanwhile, and then
leaves the other's partial file alone), then finds the file in place, or carries on
from where the first stopped.

Free space is checked before starting; a disk that fills up while writing, a dropped
connection (retried with growing waits, resuming where it stopped), a server that
ignores ``Range`` (start again), damaged bytes (deleted) and a gated repository each
end in a clear :mod:`app.hub.errors` error or are handled. A
:class:`~app.hub.control.DownloadControl` pauses or cancels between chunks.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.hub import http
from app.hub.checksum import FileHasher
from app.hub.control import DownloadControl, DownloadOutcome, StopRequest
from app.hub.endpoint import file_url, repo_page_url
from app.hub.errors import (
    ChecksumMismatchError,
    DownloadError,
    DownloadInterruptedError,
    HubAccessError,
    HubNotFoundError,
    HubResponseError,
    NotEnoughSpaceError,
)
from app.hub.files import ModelFileGroup, RemoteFile
from app.hub.layout import local_path, part_path
from app.hub.part_lock import PartLock
from app.hub.progress import DownloadProgress, ProgressCallback, SpeedMeter

log = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_HASH_BLOCK = 1024 * 1024
_LOCK_POLL_S = 0.25  # how often a download waiting for another one tries the lock again


@dataclass(frozen=True)
class DownloadSettings:
    """Limits and waits; the defaults suit a desktop on an ordinary connection."""

    read_timeout_s: float = 30.0  # longest silence from the server before reconnecting
    connect_timeout_s: float = 10.0
    max_attempts: int = 6  # failed connections in a row (without progress) before giving up
    backoff_initial_s: float = 1.0  # first wait before reconnecting; doubles each time
    backoff_max_s: float = 60.0
    space_margin_bytes: int = 256 * 1024 * 1024  # left free beyond the download itself
    progress_interval_s: float = 0.2  # at most this often to the progress callback


@dataclass(frozen=True)
class FileSource:
    """Where one file comes from: a repository at a revision, on one Hub endpoint."""

    endpoint: str
    repo_id: str
    revision: str
    remote: RemoteFile

    @property
    def url(self) -> str:
        return file_url(self.endpoint, self.repo_id, self.revision, self.remote.path)


class _Retry(Exception):
    """This attempt failed in a way that reconnecting may fix."""


class _Restart(Exception):
    """The partial file cannot be continued; start the file again from byte 0."""


_RETRYABLE: tuple[type[Exception], ...] = (_Retry, *http.NETWORK_ERRORS)


def free_space(folder: Path) -> int:
    """Free bytes on the disk that holds ``folder`` (or would, once created)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_free_space(folder: Path, remaining: int, margin: int) -> None:
    """Raise :class:`NotEnoughSpaceError` unless ``remaining + margin`` bytes are free."""
    if remaining <= 0:
        return
    free = free_space(folder)
    if free < remaining + margin:
        raise NotEnoughSpaceError(folder, remaining + margin, free, during_write=False)


def bytes_on_disk(target: Path) -> int:
    """How much of ``target`` is already here: its size if complete, else its .part's."""
    if target.exists():
        return target.stat().st_size
    part = part_path(target)
    return part.stat().st_size if part.exists() else 0


class _Throttle:
    """Passes progress on at most every ``interval_s`` (and always the final figure)."""

    def __init__(self, callback: ProgressCallback | None, meter: SpeedMeter, interval_s: float):
        self._callback = callback
        self._meter = meter
        self._interval_s = interval_s
        self._last = float("-inf")

    def report(self, done: int, *, force: bool = False, measure: bool = True) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        progress: DownloadProgress = (
            self._meter.update(done) if measure else self._meter.snapshot(done)
        )
        if force or now - self._last >= self._interval_s:
            self._last = now
            self._callback(progress)


def download_file(
    source: FileSource,
    target: Path,
    *,
    token: str | None = None,
    control: DownloadControl | None = None,
    on_progress: ProgressCallback | None = None,
    settings: DownloadSettings | None = None,
) -> DownloadOutcome:
    """Fetch ``source`` to ``target``, resuming from ``target``'s .part if there is one.

    Returns how it ended (completed, paused, cancelled, or already there); raises a
    :class:`~app.hub.errors.HubError` when it cannot finish.
    """
    return _FileDownload(source, target, token, control, on_progress, settings).run()


class _FileDownload:
    """The state of one file's download: the partial file, its length and its hash."""

    def __init__(
        self,
        source: FileSource,
        target: Path,
        token: str | None,
        control: DownloadControl | None,
        on_progress: ProgressCallback | None,
        settings: DownloadSettings | None,
    ) -> None:
        self.source = source
        self.remote = source.remote
        self.target = target
        self.part = part_path(target)
        self.token = token
        self.control = control or DownloadControl()
        self.settings = settings or DownloadSettings()
        self.meter = SpeedMeter(self.remote.size)
        self.progress = _Throttle(on_progress, self.meter, self.settings.progress_interval_s)
        self.hasher = FileHasher(self.remote)
        self.have = 0
        self.discard_part = False  # set when the partial file is known to be wrong

    def run(self) -> DownloadOutcome:
        if self.target.exists():
            return DownloadOutcome.ALREADY_PRESENT
        have = self.part.stat().st_size if self.part.exists() else 0
        check_free_space(
            self.target.parent,
            self.remote.size - min(have, self.remote.size),
            self.settings.space_margin_bytes,
        )
        self.target.parent.mkdir(parents=True, exist_ok=True)
        lock = PartLock(self.target)
        stop = self._take(lock)
        if stop is not None:
            # Stopped while another download held the file: its .part is not ours to delete.
            return (
                DownloadOutcome.CANCELLED if stop is StopRequest.CANCEL else DownloadOutcome.PAUSED
            )
        try:
            return self._run_locked()
        finally:
            lock.release()

    def _take(self, lock: PartLock) -> StopRequest | None:
        """Hold the .part's lock, waiting while another download (any process) writes it."""
        if lock.try_acquire():
            return None
        log.info(
            "%s is being downloaded by another Hearth; waiting for it to finish",
            self.remote.path,
        )
        while not lock.try_acquire():
            stop = self.control.wait(_LOCK_POLL_S)
            if stop is not None:
                return stop
        return None

    def _run_locked(self) -> DownloadOutcome:
        if self.target.exists():  # the download this one waited for put it in place
            return DownloadOutcome.ALREADY_PRESENT
        self.have = self.part.stat().st_size if self.part.exists() else 0
        if self.have > self.remote.size:  # not a prefix of this file: useless
            self.part.unlink()
            self.have = 0
        try:
            with open(self.part, "ab", buffering=0) as out:
                stop = self._hash_existing() if self.have else None
                if stop is None:
                    stop = self._transfer(out)
                if stop is None:
                    os.fsync(out.fileno())  # on disk before the name says "complete"
        except BaseException:
            # Deleted only now that the file is closed (Windows cannot delete an open file).
            if self.discard_part or (self.part.exists() and self.part.stat().st_size == 0):
                self._discard()  # wrong bytes, or nothing worth resuming
            raise
        if stop is not None:
            return self._stopped(stop)
        return self._finish()

    def _hash_existing(self) -> StopRequest | None:
        """Hash the bytes an earlier run left in the .part, so the final check covers them."""
        hashed = 0
        with open(self.part, "rb") as existing:
            while hashed < self.have:
                block = existing.read(min(_HASH_BLOCK, self.have - hashed))
                if not block:
                    break
                self.hasher.update(block)
                hashed += len(block)
                self.progress.report(hashed, measure=False)
                if self.control.requested:
                    return self.control.requested
        self.have = hashed
        return None

    def _transfer(self, out: BinaryIO) -> StopRequest | None:
        """Request bytes until the file is whole, reconnecting after failures."""
        failures = restarts = 0
        while self.have < self.remote.size:
            if self.control.requested:
                return self.control.requested
            before = self.have
            try:
                stop = self._request(out)
                if stop is not None:
                    return stop
                if self.have < self.remote.size:
                    raise _Retry("the server ended the file early")
            except _Restart as why:
                restarts += 1
                if restarts > 2:  # starting over does not help: the server is not consistent
                    raise DownloadError(f"{self.remote.path}: {why}") from why
                log.info("restarting %s from byte 0: %s", self.remote.path, why)
                self._start_over(out)
            except _RETRYABLE as err:
                failures = 1 if self.have > before else failures + 1
                if failures >= self.settings.max_attempts:
                    raise DownloadInterruptedError(self.remote.path, failures, str(err)) from err
                wait = min(
                    self.settings.backoff_max_s,
                    self.settings.backoff_initial_s * 2 ** (failures - 1),
                )
                log.info("%s: %s; retrying in %.1f s", self.remote.path, err, wait)
                stop = self.control.wait(wait)
                if stop is not None:
                    return stop
        return None

    def _request(self, out: BinaryIO) -> StopRequest | None:
        """One GET from ``self.have`` onwards, streamed into ``out``."""
        headers = http.hub_headers(self.token)
        headers["Accept-Encoding"] = "identity"  # sizes and ranges are of the raw file
        if self.have:
            headers["Range"] = f"bytes={self.have}-"
        timeout = http.timeout(self.settings.read_timeout_s, self.settings.connect_timeout_s)
        with http.session().stream(
            "GET", self.source.url, headers=headers, timeout=timeout
        ) as response:
            self._check_status(response)
            if response.status_code == 200 and self.have:
                # The server ignored Range and sends the whole file: take it from byte 0.
                log.info("%s: server ignored Range from %d", self.remote.path, self.have)
                self._start_over(out)
            self.meter.start(self.have)
            for chunk in response.iter_bytes():
                if self.have + len(chunk) > self.remote.size:
                    self.discard_part = True
                    raise DownloadError(
                        f"{self.remote.path}: the server sent more than the listed "
                        f"{self.remote.size} bytes; the partial file was deleted."
                    )
                self._write(out, chunk)
                self.hasher.update(chunk)
                self.have += len(chunk)
                self.progress.report(self.have)
                if self.control.requested:
                    return self.control.requested
        return None

    def _check_status(self, response: http.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            page = repo_page_url(self.source.endpoint, self.source.repo_id)
            raise HubAccessError(self.source.repo_id, page, status)
        if status == 404:
            raise HubNotFoundError(
                f"{self.remote.path} is not in {self.source.repo_id} at {self.source.revision}"
            )
        if status == 416 and self.have:
            raise _Restart("the server refused the range (its file is shorter)")
        if status == 408 or status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}")
        if status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match[1]) != self.have:
                raise _Restart(f"unexpected Content-Range {response.headers.get('Content-Range')}")
        elif status != 200:
            raise HubResponseError(status, self.source.url)

    def _start_over(self, out: BinaryIO) -> None:
        out.truncate(0)  # appends then go to byte 0
        self.hasher.reset()
        self.have = 0

    def _write(self, out: BinaryIO, chunk: bytes) -> None:
        view = memoryview(chunk)
        try:
            while view:
                written = out.write(view)
                view = view[written or 0 :]
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                needed = self.remote.size - self.have
                raise NotEnoughSpaceError(
                    self.target.parent, needed, free_space(self.target.parent), during_write=True
                ) from err
            raise

    def _discard(self) -> None:
        self.part.unlink(missing_ok=True)

    def _stopped(self, stop: StopRequest) -> DownloadOutcome:
        if stop is StopRequest.CANCEL:
            self._discard()
            return DownloadOutcome.CANCELLED
        return DownloadOutcome.PAUSED

    def _finish(self) -> DownloadOutcome:
        self.progress.report(self.have, force=True)
        if not self.hasher.matches():
            actual = self.hasher.hexdigest()
            self._discard()
            raise ChecksumMismatchError(self.remote.path, self.hasher.expected, actual)
        os.replace(self.part, self.target)
        return DownloadOutcome.COMPLETED


def download_group(
    endpoint: str,
    revision: str,
    group: ModelFileGroup,
    models_dir: Path,
    *,
    token: str | None = None,
    control: DownloadControl | None = None,
    on_progress: ProgressCallback | None = None,
    on_file_done: Callable[[RemoteFile, Path, DownloadOutcome], None] | None = None,
    settings: DownloadSettings | None = None,
) -> DownloadOutcome:
    """Fetch every part of ``group`` into ``models_dir``, one after another.

    Checks up front that all remaining parts fit. Progress covers the whole group.
    ``on_file_done`` hears of each part once it is in place (or was already there).
    """
    settings = settings or DownloadSettings()
    control = control or DownloadControl()
    targets = [local_path(models_dir, group.repo_id, part.path) for part in group.parts]
    remaining = sum(
        max(part.size - bytes_on_disk(target), 0)
        for part, target in zip(group.parts, targets, strict=True)
        if not target.exists()
    )
    check_free_space(targets[0].parent, remaining, settings.space_margin_bytes)

    meter = SpeedMeter(group.total_size)
    offset = 0
    any_done = False
    for part, target in zip(group.parts, targets, strict=True):

        def forward(progress: DownloadProgress, base: int = offset) -> None:
            if on_progress is not None:
                on_progress(meter.update(base + progress.done))

        outcome = download_file(
            FileSource(endpoint, group.repo_id, revision, part),
            target,
            token=token,
            control=control,
            on_progress=forward,
            settings=settings,
        )
        if outcome in (DownloadOutcome.PAUSED, DownloadOutcome.CANCELLED):
            return outcome
        any_done = any_done or outcome is DownloadOutcome.COMPLETED
        if on_file_done is not None:
            on_file_done(part, target, outcome)
        offset += part.size
    if on_progress is not None:
        on_progress(meter.snapshot(group.total_size))
    return DownloadOutcome.COMPLETED if any_done else DownloadOutcome.ALREADY_PRESENT
