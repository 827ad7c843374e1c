"""Word (.docx): paragraphs and table cells in order, through python-docx."""

from __future__ import annotations

import zipfile
from pathlib import Path

from app.docs.readers.base import Document, Page, ReadError


def read_docx(path: Path) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError(f"{path.name}: not a readable Word document ({error}).") from error
    except Exception as error:
        raise ReadError(
            f"{path.name}: not a readable Word document ({type(error).__name__})."
        ) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        raise ReadError(f"{path.name}: the document has no text.")
    return Document(path, "docx", (Page(0, text),))
