"""Errors the hub code raises, each worded so the window can show it as it is.

Every error is a :class:`HubError`; download problems are also :class:`DownloadError`.
Messages name the action the user can take (accept a licence, free space, resume).
"""

from __future__ import annotations

from pathlib import Path


def format_size(num_bytes: int) -> str:
    """Bytes as a short human figure, e.g. ``1.5 GB`` (decimal units, as file managers show)."""
    value = float(num_bytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class HubError(Exception):
    """Something went wrong talking to Hugging Face or fetching a file from it."""


class HubOfflineError(HubError):
    """The Hub could not be reached at all (no network, DNS failure, refused, timed out)."""

    def __init__(self, endpoint: str, detail: str = "") -> None:
        self.endpoint = endpoint
        message = f"offline: can't reach Hugging Face ({endpoint})"
        super().__init__(f"{message}: {detail}" if detail else message)


class HubAccessError(HubError):
    """The repository is gated or private and this token (or no token) may not read it."""

    def __init__(self, repo_id: str, licence_url: str, status: int) -> None:
        self.repo_id = repo_id
        self.licence_url = licence_url
        self.status = status
        super().__init__(
            f"{repo_id} needs permission (HTTP {status}): accept its licence at {licence_url} "
            "while signed in, set a Hugging Face access token in Hearth, then try again."
        )


class HubNotFoundError(HubError):
    """The repository, revision or file does not exist (or is private)."""


class HubResponseError(HubError):
    """The Hub answered, but with an error this code has no better word for."""

    def __init__(self, status: int, url: str) -> None:
        self.status = status
        self.url = url
        super().__init__(f"Hugging Face answered HTTP {status} for {url}")


class DownloadError(HubError):
    """A download could not finish."""


class NotEnoughSpaceError(DownloadError):
    """The disk holding the models folder has (or ran out of) room for the download."""

    def __init__(self, folder: Path, needed: int, free: int, *, during_write: bool) -> None:
        self.folder = folder
        self.needed = needed
        self.free = free
        self.during_write = during_write
        what = "The disk filled up while downloading" if during_write else "Not enough free space"
        tail = (
            " The partial download is kept: free some space and resume, or cancel to delete it."
            if during_write
            else ""
        )
        super().__init__(
            f"{what} in {folder}: the download needs {format_size(needed)} more, "
            f"{format_size(free)} is free.{tail}"
        )


class ChecksumMismatchError(DownloadError):
    """The downloaded bytes are not the file the Hub listed; they have been deleted."""

    def __init__(self, name: str, expected: str, actual: str) -> None:
        self.name = name
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{name} arrived damaged (checksum {actual[:12]}…, expected {expected[:12]}…); "
            "the partial file was deleted. Try the download again."
        )


class DownloadInterruptedError(DownloadError):
    """The connection kept dropping; the partial file is kept so the download can resume."""

    def __init__(self, name: str, attempts: int, detail: str) -> None:
        self.name = name
        self.attempts = attempts
        super().__init__(
            f"Lost the connection while downloading {name} ({attempts} attempts, last: {detail}). "
            "The partial download is kept: resume when the network is back."
        )
