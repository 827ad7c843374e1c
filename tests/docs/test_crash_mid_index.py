"""A real indexing process killed mid-run: on reopening, the index is intact, every file
it counts as indexed has all its passages, and indexing again finishes the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.docs.index import DocIndex
from app.docs.indexer import index_collection, run_to_end
from tests.support.pdf_writer import write_pdf

_INDEXER = """
import sys
from pathlib import Path
from app.docs.index import DocIndex
from app.docs.indexer import index_collection
index = DocIndex.open(Path(sys.argv[1]))
collection = index.create_collection("Books")
index.add_source(collection, Path(sys.argv[2]))
for progress in index_collection(index, collection):
    print(progress.files_done, progress.pages, flush=True)
"""


def test_killed_indexer_leaves_no_half_indexed_file(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    for book in range(8):
        pages = [
            [f"Book {book} page {p} line {n} about harbours." for n in range(40)] for p in range(60)
        ]
        write_pdf(folder / f"book{book}.pdf", pages)
    database = tmp_path / "docs.sqlite3"
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", _INDEXER, str(database), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    # Kill it once two files are done and the third is part-way read.
    for line in process.stdout:
        done, pages = map(int, line.split())
        if done >= 2 and pages >= 2 * 60 + 10:
            break
        assert time.monotonic() < deadline
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()

    index = DocIndex.open(database)
    try:
        assert index.db.integrity_ok()
        files = index.files()
        assert 2 <= len(files) < 8
        for record in files:
            assert record.status == "indexed"
            assert len(index.passages_of(record.id)) == record.passages > 0
        collection = index.collection_id("Books")
        progress = run_to_end(index_collection(index, collection))
        assert progress.files_done == 8 - len(files)
        assert len(index.files()) == 8
    finally:
        index.close()
