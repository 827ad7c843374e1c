"""The text around a cited passage, for the viewer: its page (or file) as indexed.

The viewer shows the whole page of a PDF, or the whole text of other files, with the
passage's lines marked. The text is read again from the file the way it was indexed,
so line numbers agree; when the file is gone or no longer holds the passage there, the
passage is shown as it was sent, with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.docs.readers import ReadError, read_document
from app.docs.readers.pdf_reader import pdf_page_text
from app.docs.sources import Source


@dataclass(frozen=True)
class PlaceText:
    text: str
    line_start: int  # 1-based lines of ``text`` to highlight
    line_end: int
    note: str = ""


def place_text(source: Source) -> PlaceText:
    path = Path(source.path)
    try:
        if source.page:
            text = pdf_page_text(path, source.page)
        else:
            text = read_document(path).pages[0].text
    except (ReadError, OSError, IndexError):
        return _as_sent(source, f"{path.name} cannot be read now; this is the passage as sent.")
    lines = text.split("\n")
    shown = "\n".join(lines[source.line_start - 1 : source.line_end]).strip()
    if " ".join(shown.split()) != " ".join(source.text.split()) and source.text not in shown:
        return _as_sent(source, f"{path.name} has changed; this is the passage as sent.")
    return PlaceText(text, source.line_start, source.line_end)


def _as_sent(source: Source, note: str) -> PlaceText:
    return PlaceText(source.text, 1, source.text.count("\n") + 1, note)
