"""Turns a file into text with its places kept: one :class:`Document` of pages.

A PDF's pages are its pages; every other format is one page whose lines are counted, so
a passage can say "page 3" or "lines 40-52". Each reader raises :class:`ReadError` with
a sentence for the user when a file cannot be read (encrypted, scanned without text,
corrupt, too large); the caller reports it for that file and goes on with the rest.
"""

from __future__ import annotations

from pathlib import Path

from app.docs.readers.base import MAX_FILE_BYTES, Document, Page, ReadError
from app.docs.readers.docx_reader import read_docx
from app.docs.readers.html_reader import read_html
from app.docs.readers.pdf_reader import read_pdf
from app.docs.readers.text_reader import read_csv, read_text

__all__ = [
    "MAX_FILE_BYTES",
    "Document",
    "Page",
    "ReadError",
    "check_readable",
    "is_supported",
    "read_document",
]

_CODE = frozenset(
    [
        ".py",
        ".pyi",
        ".js",
        ".jsx",
        ".ts",
        ".tsx",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".java",
        ".kt",
        ".go",
        ".rs",
        ".rb",
        ".php",
        ".swift",
        ".m",
        ".scala",
        ".sh",
        ".bash",
        ".zsh",
        ".ps1",
        ".sql",
        ".lua",
        ".r",
        ".pl",
        ".hs",
        ".ml",
        ".ex",
        ".exs",
        ".dart",
        ".vue",
        ".css",
        ".scss",
        ".toml",
        ".yaml",
        ".yml",
        ".ini",
        ".cfg",
        ".json",
        ".xml",
    ]
)
_TEXT = frozenset([".txt", ".text", ".md", ".markdown", ".rst", ".log", ".tex", ".org"])


def kind_of(path: Path) -> str | None:
    """The reader a file goes to by its name ("pdf", "docx", "html", "csv", "text",
    "code"), or None for a kind Hearth does not read."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in _TEXT:
        return "text"
    if suffix in _CODE:
        return "code"
    return None


def is_supported(path: Path) -> bool:
    return kind_of(path) is not None


def check_readable(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's kind, once it is known to be one Hearth reads and not too large."""
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        raise ReadError(f"{path.name}: Hearth does not read {path.suffix or 'this'} files.")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ReadError(f"{path.name}: cannot be opened ({error.strerror or error}).") from error
    if size > max_bytes:
        raise ReadError(
            f"{path.name}: too large to index ({size // 1_000_000} MB;"
            f" the limit is {max_bytes // 1_000_000} MB)."
        )
    return kind


def read_document(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """The file's text, by page. Raises :class:`ReadError` with the reason in words."""
    path = Path(path)
    kind = check_readable(path, max_bytes)
    if kind == "pdf":
        return read_pdf(path)
    if kind == "docx":
        return read_docx(path)
    if kind == "html":
        return read_html(path)
    if kind == "csv":
        return read_csv(path)
    return read_text(path, kind)
