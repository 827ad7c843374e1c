"""The index: collections of files and folders, passages with their places, changed files
re-indexed, unreadable files reported and the rest indexed, pause and cancel."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from app.docs.index import DocIndex, DocsError
from app.docs.indexer import IndexControl, index_collection, run_to_end
from app.docs.retrieval import Retriever
from tests.docs.helpers import write_sample_folder


@pytest.fixture
def index(tmp_path: Path) -> DocIndex:
    opened = DocIndex.open(tmp_path / "data" / "docs.sqlite3")
    yield opened
    opened.close()


def test_folder_collection_indexes_every_format(index: DocIndex, tmp_path: Path) -> None:
    folder = write_sample_folder(tmp_path / "docs")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    collection = index.create_collection("Harbour")
    index.add_source(collection, folder)
    progress = run_to_end(index_collection(index, collection))
    assert progress.finished and progress.files_done == 4
    assert progress.pages == 3 + 1 + 1
    assert len(progress.failures) == 1 and progress.failures[0].startswith("broken.pdf")
    (listed,) = index.collections()
    assert (listed.name, listed.files, listed.failed) == ("Harbour", 3, 1)
    hit = Retriever(index).search("lighthouse repainted", [collection]).hits[0]
    assert hit.passage.place == "harbour.pdf, page 2"


def test_passages_keep_line_spans(index: DocIndex, tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text("\n".join(f"Line {n} says something about topic {n}." for n in range(1, 200)))
    collection = index.create_collection("Long")
    index.add_source(collection, path)
    run_to_end(index_collection(index, collection))
    hit = Retriever(index).search("topic 150", [collection]).hits[0]
    assert hit.passage.line_start <= 150 <= hit.passage.line_end
    lines = path.read_text().split("\n")[hit.passage.line_start - 1 : hit.passage.line_end]
    assert "\n".join(lines) == hit.passage.text


def test_changed_file_is_reindexed_and_removed_file_dropped(
    index: DocIndex, tmp_path: Path
) -> None:
    folder = write_sample_folder(tmp_path / "docs")
    collection = index.create_collection("Watched")
    index.add_source(collection, folder)
    run_to_end(index_collection(index, collection))
    assert index.stale_files(collection) == []
    garden = folder / "garden.md"
    garden.write_text("# Garden notes\n\nThe medlar tree fruits in November.\n")
    stat = garden.stat()
    os.utime(garden, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    (folder / "recipes.txt").unlink()
    assert index.stale_files(collection) == [garden]
    run_to_end(index_collection(index, collection))
    retriever = Retriever(index)
    assert retriever.search("medlar", [collection]).hits
    assert not retriever.search("quince", [collection]).hits
    assert not retriever.search("barley", [collection]).hits
    assert {Path(f.path).name for f in index.files([collection])} == {"harbour.pdf", "garden.md"}


def test_two_collections_share_nothing_but_files(index: DocIndex, tmp_path: Path) -> None:
    folder = write_sample_folder(tmp_path / "docs")
    taxes = index.create_collection("Taxes 2026")
    garden = index.create_collection("Garden")
    index.add_source(taxes, folder / "harbour.pdf")
    index.add_source(garden, folder / "garden.md")
    run_to_end(index_collection(index, taxes))
    run_to_end(index_collection(index, garden))
    retriever = Retriever(index)
    assert not retriever.search("quince", [taxes]).hits
    assert retriever.search("quince", [garden]).hits
    index.remove_collection(garden)
    assert [c.name for c in index.collections()] == ["Taxes 2026"]
    assert [Path(f.path).name for f in index.files()] == ["harbour.pdf"]


def test_bad_requests_get_messages(index: DocIndex, tmp_path: Path) -> None:
    index.create_collection("One")
    with pytest.raises(DocsError, match="already a collection"):
        index.create_collection("One")
    with pytest.raises(DocsError, match="does not exist"):
        index.add_source(index.collection_id("One"), tmp_path / "missing")
    (tmp_path / "x.exe").write_bytes(b"MZ")
    with pytest.raises(DocsError, match=r"does not read \.exe"):
        index.add_source(index.collection_id("One"), tmp_path / "x.exe")
    with pytest.raises(DocsError, match="No collection named 'Two'"):
        index.collection_id("Two")


def test_pause_then_cancel_leaves_no_half_file(index: DocIndex, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(30):
        (folder / f"note{n:02}.txt").write_text(f"Note number {n}.\n" * 50)
    collection = index.create_collection("Many")
    index.add_source(collection, folder)
    control = IndexControl()
    run = index_collection(index, collection, control)
    seen = []
    for progress in run:
        seen.append(progress)
        if progress.files_done == 5:
            break
    control.pause()
    result: list = []
    worker = threading.Thread(target=lambda: result.append(next(run)))
    worker.start()
    worker.join(0.3)
    assert worker.is_alive(), "a paused run must not go on"
    files_while_paused = len(index.files([collection]))
    control.cancel()
    worker.join(5)
    rest = [result[0], *run]
    assert rest[-1].cancelled and rest[-1].finished
    assert len(index.files([collection])) == files_while_paused < 30
    for record in index.files([collection]):
        assert len(index.passages_of(record.id)) == record.passages > 0
