"""What every reader returns (:class:`Document` of :class:`Page`) and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Files larger than this are refused with a message, not read (a 1,000-page PDF is
# about 10-50 MB).
MAX_FILE_BYTES = 200_000_000


class ReadError(Exception):
    """A file that cannot be read; ``str()`` is the sentence to show, naming the file."""


@dataclass(frozen=True)
class Page:
    """One page of text: ``number`` counts from 1 (0 for formats without pages)."""

    number: int
    text: str


@dataclass(frozen=True)
class Document:
    """A file's text. kind: the reader used. paged: page numbers are the file's own
    (a PDF); otherwise the one page's lines are what a citation points at."""

    path: Path
    kind: str
    pages: tuple[Page, ...]
    paged: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


def decode_text(data: bytes) -> str:
    """Bytes as text: UTF-8 (with or without a byte order mark), else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 kB: not a text file, whatever its name says."""
    return b"\x00" in data[:8192]
