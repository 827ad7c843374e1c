"""Retrieval quality and speed of Hearth's documents: BM25, vectors and hybrid.

The evaluation set is in ``bench/retrieval_data``: notes we wrote about public-domain
books (Moby-Dick, Pride and Prejudice, Frankenstein as Markdown; Treasure Island,
Sherlock Holmes and Alice in Wonderland as PDFs written here, one page per section) and
60 questions, each with the file and a phrase of its answer passage. A question counts
as found at rank r when the r-th passage returned is from its file and holds the phrase.

Reports, for BM25 (FTS5) alone, vectors alone (the starter model SmolLM2-135M, mean-pooled
through llama.cpp in its own process) and hybrid (reciprocal-rank fusion):
recall@5, MRR@10 and query latency (median, p95); then indexing speed in pages per
second on a large PDF (default 1,000 pages), and the event loop's delay (p50, p99,
worst) while that PDF is indexed on the window's background runner, measured by a
timer that asks to run every 5 ms.

    nice -n 10 QT_QPA_PLATFORM=offscreen .venv/bin/python bench/retrieval.py [--pages N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.docs.embedder import LlamaEmbedder
from app.docs.index import DocIndex
from app.docs.indexer import index_collection, index_files, run_to_end
from app.docs.retrieval import Mode, Retriever
from app.docs.vectors import embed_missing
from app.library.starter import starter_model_path
from tests.support.pdf_writer import write_pdf

DATA = Path(__file__).resolve().parent / "retrieval_data"
TICK_MS = 5


def _squash(text: str) -> str:
    """Spacing, case and curly quotes aside (a PDF's standard encoding turns ' into ’)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split()).lower()


def write_corpus(folder: Path) -> int:
    """The Markdown files copied, the PDFs written; the number of PDF pages."""
    pages_total = 0
    for source in sorted(DATA.glob("*.md")):
        shutil.copy(source, folder / source.name)
    for source in sorted(DATA.glob("*.pages.txt")):
        pages = []
        for page in source.read_text().split("=== page ===\n"):
            lines: list[str] = []
            for paragraph in page.strip().split("\n"):
                lines += textwrap.wrap(paragraph, 90, break_on_hyphens=False) or [""]
            pages.append(lines)
        write_pdf(folder / source.name.replace(".pages.txt", ".pdf"), pages)
        pages_total += len(pages)
    return pages_total


def evaluate(retriever: Retriever, collection: int, mode: Mode) -> dict[str, float]:
    questions = json.loads((DATA / "questions.json").read_text())
    file_ids = retriever.file_ids([collection])
    found_at: list[int | None] = []
    latencies = []
    for item in questions:
        started = time.perf_counter()
        ranked = retriever.ranked(item["q"], file_ids, mode, 10)
        latencies.append(time.perf_counter() - started)
        passages = retriever._passages([pid for pid, _s, _h in ranked])
        rank = None
        for position, (pid, _score, _how) in enumerate(ranked, start=1):
            passage = passages.get(pid)
            if (
                passage is not None
                and Path(passage.path).name == item["file"]
                and _squash(item["answer"]) in _squash(passage.text)
            ):
                rank = position
                break
        found_at.append(rank)
    latencies.sort()
    return {
        "questions": len(questions),
        "recall@5": sum(1 for r in found_at if r is not None and r <= 5) / len(questions),
        "mrr@10": sum(1 / r for r in found_at if r is not None) / len(questions),
        "latency_ms_median": statistics.median(latencies) * 1000,
        "latency_ms_p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
    }


def big_pdf(path: Path, pages: int) -> Path:
    words = [
        "harbour",
        "ledger",
        "tide",
        "vessel",
        "crown",
        "board",
        "meeting",
        "accounts",
        "lighthouse",
        "cargo",
        "quay",
        "customs",
        "pilot",
        "anchor",
        "schooner",
        "brig",
        "barque",
        "ferry",
        "warehouse",
    ]
    body = []
    for page in range(pages):
        lines = []
        for line in range(40):
            picked = [words[(page * 7 + line * 3 + k) % len(words)] for k in range(12)]
            lines.append(f"Page {page + 1} line {line + 1}: " + " ".join(picked) + ".")
        body.append(lines)
    return write_pdf(path, body)


def indexing_speed(folder: Path, pages: int) -> dict[str, float]:
    pdf = big_pdf(folder / "big.pdf", pages)
    index = DocIndex.open(folder / "speed.sqlite3")
    try:
        collection = index.create_collection("Big")
        started = time.perf_counter()
        progress = run_to_end(index_files(index, collection, [pdf]))
        seconds = time.perf_counter() - started
    finally:
        index.close()
    return {"pages": progress.pages, "seconds": seconds, "pages_per_s": progress.pages / seconds}


def event_loop_during_indexing(folder: Path, pages: int) -> dict[str, float]:
    """The event loop's delay while the big PDF is indexed on the window's runner."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.background import BackgroundRunner

    app = QApplication.instance() or QApplication([])
    pdf = folder / "big.pdf"
    if not pdf.exists():
        big_pdf(pdf, pages)
    index = DocIndex.open(folder / "loop.sqlite3")
    collection = index.create_collection("Big")
    runner = BackgroundRunner(name="bench-docs")
    delays: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]
    done = [False]

    def tick() -> None:
        now = clock.nsecsElapsed()
        delays.append(max(0.0, (now - last[0]) / 1e6 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    runner.run(
        lambda: index_files(index, collection, [pdf]),
        on_yield=lambda _progress: None,
        on_finished=lambda: done.__setitem__(0, True),
    )
    while not done[0]:
        app.processEvents()
        time.sleep(0.0005)
    timer.stop()
    runner.wait(10)
    index.close()
    delays.sort()
    return {
        "ticks": len(delays),
        "delay_ms_p50": delays[len(delays) // 2],
        "delay_ms_p99": delays[int(0.99 * (len(delays) - 1))],
        "delay_ms_worst": delays[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages of the large PDF")
    parser.add_argument("--no-vectors", action="store_true", help="BM25 only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hearth-retrieval-") as scratch:
        folder = Path(scratch) / "corpus"
        folder.mkdir()
        pdf_pages = write_corpus(folder)
        index = DocIndex.open(Path(scratch) / "docs.sqlite3")
        collection = index.create_collection("Bench")
        index.add_source(collection, folder)
        started = time.perf_counter()
        progress = run_to_end(index_collection(index, collection))
        results["corpus"] = {
            "files": progress.files_done,
            "pdf_pages": pdf_pages,
            "passages": progress.passages,
            "index_s": time.perf_counter() - started,
        }
        print(f"corpus: {progress.summary}")
        embedder = None
        model = starter_model_path()
        if not args.no_vectors and model is not None:
            embedder = LlamaEmbedder(model)
            started = time.perf_counter()
            for _done in embed_missing(index, embedder):
                pass
            results["corpus"]["embed_s"] = time.perf_counter() - started
        retriever = Retriever(index, embedder)
        modes: list[Mode] = ["bm25"] + (["vector", "hybrid"] if embedder else [])
        for mode in modes:
            figures = evaluate(retriever, collection, mode)
            results[mode] = figures
            print(
                f"{mode:7} recall@5 {figures['recall@5']:.3f}  MRR@10 {figures['mrr@10']:.3f}"
                f"  query {figures['latency_ms_median']:.1f} ms median,"
                f" {figures['latency_ms_p95']:.1f} ms p95"
            )
        if embedder is not None:
            embedder.close()
        index.close()
        speed = indexing_speed(Path(scratch), args.pages)
        results["indexing"] = speed
        print(
            f"indexing: {speed['pages']} pages in {speed['seconds']:.1f} s"
            f" = {speed['pages_per_s']:.0f} pages/s"
        )
        loop = event_loop_during_indexing(Path(scratch), args.pages)
        results["event_loop"] = loop
        print(
            f"event loop while indexing {args.pages} pages: p50 {loop['delay_ms_p50']:.1f} ms,"
            f" p99 {loop['delay_ms_p99']:.1f} ms, worst {loop['delay_ms_worst']:.1f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
