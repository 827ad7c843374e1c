"""PDF: the text layer, page by page, through pypdf (no OCR: a scan gets a message)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.docs.readers.base import Document, Page, ReadError

log = logging.getLogger(__name__)


def _open(path: Path) -> Any:
    import pypdf

    # pypdf logs every repair it makes of a damaged file; keep them out of the user's log.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            # An empty password opens many "encrypted" PDFs that only restrict printing;
            # a real password is not something Hearth can guess.
            try:
                opened = reader.decrypt("")
            except Exception as error:
                raise ReadError(
                    f"{path.name}: encrypted in a way Hearth cannot open; not indexed."
                ) from error
            if not opened:
                raise ReadError(f"{path.name}: encrypted with a password; not indexed.")
        count = len(reader.pages)
    except ReadError:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged files
        raise ReadError(f"{path.name}: not a readable PDF ({_reason(error)}).") from error
    if not count:
        raise ReadError(f"{path.name}: the PDF has no pages.")
    return reader


def _reason(error: Exception) -> str:
    return str(error).split("\n")[0][:120] or type(error).__name__


def pdf_page_count(path: Path) -> int:
    return len(_open(path).pages)


def pdf_pages(path: Path) -> Iterator[Page]:
    """The pages one by one (a 1,000-page file is read as it is indexed)."""
    reader = _open(path)
    for number in range(1, len(reader.pages) + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception:  # one bad page does not lose the rest
            log.info("page %d of %s has no readable text", number, path, exc_info=True)
            text = ""
        yield Page(number, text)


def no_text_error(path: Path) -> ReadError:
    return ReadError(f"{path.name}: no text layer (a scan?); Hearth does not read text in images.")


def read_pdf(path: Path) -> Document:
    pages = tuple(pdf_pages(path))
    if not any(page.text.strip() for page in pages):
        raise no_text_error(path)
    return Document(path, "pdf", pages, paged=True)


def pdf_page_text(path: Path, number: int) -> str:
    """One page's text (1-based), extracted as indexing extracted it."""
    reader = _open(path)
    if not 1 <= number <= len(reader.pages):
        raise ReadError(f"{path.name} has no page {number}.")
    return str(reader.pages[number - 1].extract_text() or "")
