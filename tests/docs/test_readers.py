"""Real files of every format, written with real libraries, and broken ones: each is read
with its places kept, or refused with a sentence naming the file."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from app.docs.readers import ReadError, read_document
from tests.support.pdf_writer import write_encrypted_pdf, write_pdf


def test_pdf_keeps_page_numbers(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "report.pdf",
        [["Chapter one", "The harbour froze in 1802."], ["Chapter two"], ["The end (p. 3)"]],
    )
    document = read_document(path)
    assert [page.number for page in document.pages] == [1, 2, 3]
    assert "harbour froze" in document.pages[0].text
    assert "(p. 3)" in document.pages[2].text
    assert document.paged


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    word = docx.Document()
    word.add_heading("Minutes", level=1)
    word.add_paragraph("The committee approved the new bridge.")
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Budget"
    table.rows[0].cells[1].text = "4,000 crowns"
    word.save(str(tmp_path / "minutes.docx"))
    text = read_document(tmp_path / "minutes.docx").text
    assert "approved the new bridge" in text
    assert "Budget | 4,000 crowns" in text


def test_markdown_code_and_text(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\nThe *lighthouse* keeper is Ada.\n")
    (tmp_path / "tool.py").write_text("def answer():\n    return 42\n")
    (tmp_path / "plain.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    assert "lighthouse" in read_document(tmp_path / "notes.md").text
    assert read_document(tmp_path / "tool.py").kind == "code"
    assert "café" in read_document(tmp_path / "plain.txt").text


def test_csv_rows_keep_their_headings(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("item,price\nbread,3\nmilk,2\n")
    text = read_document(tmp_path / "prices.csv").text
    assert "item: milk; price: 2" in text


def test_html_main_text_only(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>x</title><style>p{}</style></head><body>"
        "<nav>Home | About</nav><main><h1>Tides</h1><p>Spring tides follow the full"
        " moon.</p><script>alert(1)</script></main><footer>Copyright</footer></body></html>"
    )
    text = read_document(tmp_path / "page.html").text
    assert "Spring tides follow the full moon." in text
    assert "Home" not in text and "alert" not in text and "Copyright" not in text


def test_encrypted_pdf_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = write_encrypted_pdf(tmp_path / "locked.pdf", [["secret"]], "hunter2")
    with pytest.raises(ReadError, match=r"locked\.pdf: encrypted with a password"):
        read_document(path)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(ReadError, match="no text layer"):
        read_document(path)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<< garbage", "not a readable PDF"),
        ("truncated.pdf", b"", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word document"),
        ("binary.txt", b"\x00\x01\x02ELF", "not a text file"),
        ("empty.md", b"   \n", "empty"),
        ("photo.jpg", b"\xff\xd8\xff", "does not read .jpg"),
    ],
)
def test_malformed_files_get_a_message(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ReadError, match=reason) as caught:
        read_document(tmp_path / name)
    assert str(caught.value).startswith(name)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 1000)
    with pytest.raises(ReadError, match="too large"):
        read_document(tmp_path / "big.txt", max_bytes=1000)
