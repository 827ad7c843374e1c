"""Small helpers for what the command line prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

# ANSI "faint" on and off (off = normal intensity, which leaves other attributes alone).
_DIM_ON = "\x1b[2m"
_DIM_OFF = "\x1b[22m"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    return "\n".join(lines)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def error(message: str) -> int:
    print(f"hearth: {message}", file=sys.stderr)
    return 1


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into spaces: an error is one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def dim(text: str, stream: TextIO) -> str:
    """``text`` dimmed for a terminal; plain where ``stream`` is a file or pipe, or NO_COLOR."""
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return text
    return f"{_DIM_ON}{text}{_DIM_OFF}"
