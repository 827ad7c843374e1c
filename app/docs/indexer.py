"""Indexing a collection in the background: read, cut, store, one file at a time.

:func:`index_collection` is a generator: each item is a :class:`Progress` (files, pages,
passages so far, the file being read, the files that failed and why), so the window's
one background runner can show it as it goes and the command line can print it. It
runs on whatever thread iterates it; :class:`IndexControl` pauses and cancels it from
any other thread, between pages. A file's passages are committed together with its
"indexed" mark (``DocIndex.store_file``), so a cancel, a crash or a kill never leaves a
half-indexed file counted as done. A file that cannot be read is recorded with its
reason and the rest go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.docs.chunking import Chunk, chunk_page
from app.docs.index import DocIndex, file_stamp
from app.docs.readers import ReadError, check_readable, read_document
from app.docs.readers.base import MAX_FILE_BYTES, Page
from app.docs.readers.pdf_reader import no_text_error, pdf_pages
from app.docs.vectors import Embedder, embed_missing

log = logging.getLogger(__name__)

# Progress is reported at most this often while a long file is read, in seconds.
PROGRESS_EVERY_S = 0.1


class Cancelled(Exception):
    """The user cancelled indexing."""


class IndexControl:
    """Pause, resume and cancel for one indexing run. Thread-safe."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    def checkpoint(self) -> None:
        """Waits while paused; raises :class:`Cancelled` once cancelled."""
        while not self._running.wait(0.1):
            pass
        if self._cancelled.is_set():
            raise Cancelled


@dataclass(frozen=True)
class Progress:
    files_done: int = 0
    files_total: int = 0
    pages: int = 0
    passages: int = 0
    current: str = ""
    failures: tuple[str, ...] = field(default=())
    finished: bool = False
    cancelled: bool = False

    @property
    def summary(self) -> str:
        text = (
            f"{self.files_done} of {self.files_total} files · {self.pages} pages ·"
            f" {self.passages} passages"
        )
        if self.failures:
            text += f" · {len(self.failures)} could not be read"
        return text


def index_collection(
    index: DocIndex,
    collection_id: int,
    control: IndexControl | None = None,
    embedder: Embedder | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[Progress]:
    """Indexes the collection's new and changed files; yields progress as it goes."""
    return index_files(
        index, collection_id, index.stale_files(collection_id), control, embedder, max_bytes
    )


def index_files(
    index: DocIndex,
    collection_id: int,
    paths: Sequence[Path],
    control: IndexControl | None = None,
    embedder: Embedder | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[Progress]:
    control = control or IndexControl()
    progress = Progress(files_total=len(paths))
    yield progress
    try:
        for path in paths:
            control.checkpoint()
            progress = replace(progress, current=path.name)
            yield progress
            progress = yield from _index_one(
                index, collection_id, path, control, progress, max_bytes
            )
            progress = replace(progress, files_done=progress.files_done + 1)
            yield progress
        if embedder is not None:
            progress = replace(progress, current="embedding passages")
            yield progress
            for _done in embed_missing(index, embedder, control.checkpoint):
                yield progress
    except Cancelled:
        yield replace(progress, current="", finished=True, cancelled=True)
        return
    yield replace(progress, current="", finished=True)


def _index_one(
    index: DocIndex,
    collection_id: int,
    path: Path,
    control: IndexControl,
    progress: Progress,
    max_bytes: int,
) -> Generator[Progress, None, Progress]:
    """Reads and stores one file; its progress is returned (the generator's value)."""
    stamp = file_stamp(path)
    if stamp is None:
        return replace(progress, failures=(*progress.failures, f"{path.name}: it is gone."))
    kind = "unknown"
    try:
        kind = check_readable(path, max_bytes)
        chunks: list[Chunk] = []
        pages = 0
        if kind == "pdf":
            last = time.monotonic()
            has_text = False
            for page in pdf_pages(path):
                control.checkpoint()
                chunks += chunk_page(page)
                pages += 1
                has_text = has_text or bool(page.text.strip())
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    yield replace(
                        progress, pages=progress.pages + pages, passages=progress.passages
                    )
            if not has_text:
                raise no_text_error(path)
        else:
            document = read_document(path, max_bytes)
            for page in document.pages:
                chunks += chunk_page(page)
            pages = max(1, sum(1 for page in document.pages if isinstance(page, Page)))
        control.checkpoint()
        index.store_file(collection_id, path, kind, stamp, pages, chunks)
    except ReadError as error:
        index.store_failure(collection_id, path, kind, stamp, str(error))
        return replace(progress, failures=(*progress.failures, str(error)))
    except (Cancelled, MemoryError):
        raise
    except Exception as error:  # a reader's library failed in a way it does not name
        log.warning("could not read %s", path, exc_info=True)
        reason = f"{path.name}: could not be read ({type(error).__name__})."
        index.store_failure(collection_id, path, kind, stamp, reason)
        return replace(progress, failures=(*progress.failures, reason))
    return replace(progress, pages=progress.pages + pages, passages=progress.passages + len(chunks))


def run_to_end(iterator: Iterator[Progress]) -> Progress:
    """Drives an indexing run on this thread; its last progress."""
    last = Progress()
    for item in iterator:
        last = item
    return last
