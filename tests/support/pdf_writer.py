"""Writes real PDF files with a text layer, by hand (no PDF library needed to make one).

Each page is a list of lines set in Helvetica; ``hidden`` lines are drawn in render mode 3
(invisible, as hidden text in a real PDF is), yet a text extractor still reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stream(lines: Sequence[str], hidden: Sequence[str]) -> bytes:
    parts = ["BT /F1 11 Tf 14 TL 72 760 Td"]
    for line in lines:
        parts.append(f"({_escape(line)}) Tj T*")
    if hidden:
        parts.append("3 Tr")
        for line in hidden:
            parts.append(f"({_escape(line)}) Tj T*")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1", "replace")


def pdf_bytes(pages: Sequence[Sequence[str]], hidden: Sequence[Sequence[str]] = ()) -> bytes:
    """A PDF with one page per item of ``pages`` (each a list of lines)."""
    objects: list[bytes] = []
    page_count = len(pages)
    # 1: catalog, 2: pages, 3: font, then a page object and its content per page.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(page_count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        content = _stream(lines, hidden[i] if i < len(hidden) else ())
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R"
            " /Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def write_pdf(
    path: Path, pages: Sequence[Sequence[str]], hidden: Sequence[Sequence[str]] = ()
) -> Path:
    path.write_bytes(pdf_bytes(pages, hidden))
    return path


def write_encrypted_pdf(path: Path, pages: Sequence[Sequence[str]], password: str) -> Path:
    """The same PDF, encrypted with a user password (pypdf's own writer)."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(pages)))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path
