"""Plain text, Markdown, source code and CSV: the file's lines as they are."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from app.docs.readers.base import Document, Page, ReadError, decode_text, looks_binary


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path.name}: cannot be read ({error.strerror or error}).") from error


def read_text(path: Path, kind: str = "text") -> Document:
    data = _read_bytes(path)
    if looks_binary(data):
        raise ReadError(f"{path.name}: not a text file (it holds binary data).")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReadError(f"{path.name}: the file is empty.")
    return Document(path, kind, (Page(0, text),))


def read_csv(path: Path) -> Document:
    """Each row as one line, "column: value; ...", so a row found by words keeps its
    headings (a bare "42" means nothing out of its column)."""
    data = _read_bytes(path)
    if looks_binary(data):
        raise ReadError(f"{path.name}: not a text file (it holds binary data).")
    text = decode_text(data)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise ReadError(f"{path.name}: not a readable CSV file ({error}).") from error
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ReadError(f"{path.name}: the file is empty.")
    header, body = rows[0], rows[1:]
    lines = [", ".join(header)]
    for row in body:
        pairs = [
            f"{header[i] if i < len(header) else f'column {i + 1}'}: {cell}"
            for i, cell in enumerate(row)
        ]
        lines.append("; ".join(pairs))
    return Document(path, "csv", (Page(0, "\n".join(lines)),))
