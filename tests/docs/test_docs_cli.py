"""``hearth docs add|list|rm|reindex`` and ``hearth chat --docs``, as a user types them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.cli.main import main
from app.docs.chat_docs import ChatDocs
from tests.docs.helpers import write_sample_folder
from tests.support.model_settings import save_settings


def test_add_list_reindex_rm(
    hearth_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_sample_folder(tmp_path / "docs")
    (folder / "locked.pdf").write_bytes(b"%PDF-1.4 broken")
    assert main(["docs", "add", "Taxes 2026", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "Taxes 2026: 4 of 4 files · 5 pages" in err
    assert "not indexed: locked.pdf: not a readable PDF" in err

    assert main(["docs", "list"]) == 0
    out = capsys.readouterr().out
    assert "Taxes 2026" in out and str(folder) in out

    assert main(["docs", "list", "Taxes 2026"]) == 0
    out = capsys.readouterr().out
    assert "harbour.pdf  pdf   3" in out and "not a readable PDF" in out

    garden = folder / "garden.md"
    garden.write_text("# Garden\n\nThe medlar fruits in November.\n")
    os.utime(garden, ns=(garden.stat().st_atime_ns, garden.stat().st_mtime_ns + 10**9))
    assert main(["docs", "reindex", "Taxes 2026"]) == 0
    assert "Taxes 2026: 1 of 1 files" in capsys.readouterr().err

    assert main(["docs", "rm", "Taxes 2026", str(folder / "nothing-here")]) == 1
    assert "not in that collection" in capsys.readouterr().err
    assert main(["docs", "rm", "Taxes 2026"]) == 0
    assert main(["docs", "list"]) == 0
    assert "No collections" in capsys.readouterr().out
    assert main(["docs", "reindex", "Nope"]) == 1
    assert "No collection named 'Nope'" in capsys.readouterr().err


def test_chat_with_docs_prints_sources(
    hearth_home: Path, starter_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(starter_model, temperature=0.0)
    folder = write_sample_folder(tmp_path / "docs")
    assert main(["docs", "add", "Harbour", str(folder / "harbour.pdf")]) == 0
    capsys.readouterr()
    assert main(["chat", "--docs", "Harbour", "--max-tokens", "16", "Harbour dues?"]) == 0
    out = capsys.readouterr().out
    assert "Searched 1 file · used " in out
    assert "harbour.pdf, page 3" in out

    assert main(["chat", "--docs", "Missing", "hello"]) == 1
    assert "No collection named 'Missing'" in capsys.readouterr().err


def test_embedder_gives_vectors_and_hybrid_answers(
    hearth_home: Path, starter_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_sample_folder(tmp_path / "docs")
    assert main(["docs", "embedder"]) == 0
    assert "No embedding model: BM25 alone." in capsys.readouterr().out
    assert main(["docs", "embedder", "no-such-model"]) == 1
    assert "hearth:" in capsys.readouterr().err
    assert main(["docs", "add", "Garden", str(folder / "garden.md")]) == 0
    assert main(["docs", "embedder", "SmolLM2-135M-Instruct"]) == 0
    assert "passages embedded" in capsys.readouterr().err
    assert main(["docs", "add", "Garden", str(folder / "recipes.txt")]) == 0
    with ChatDocs.open(hearth_home / "data") as docs:
        assert docs.embedder is not None
        with docs.index.db.read() as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM passages), (SELECT count(*) FROM vectors)"
            ).fetchone()
        assert counts[0] == counts[1] > 0
        garden = docs.index.collection_id("Garden")
        hits = docs.retriever.search("When does the quince tree flower?", [garden]).hits
        assert hits[0].how == "hybrid" and "quince" in hits[0].passage.text
    assert main(["docs", "embedder", "--off"]) == 0
    assert main(["docs", "embedder"]) == 0
    assert "BM25 alone" in capsys.readouterr().out
