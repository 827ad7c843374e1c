"""``hearth docs add|list|rm|reindex``: collections of documents, and ``hearth chat --docs``.

A collection is a name for some files and folders ("Taxes 2026"); ``add`` indexes what it
adds at once, printing progress on stderr, and names each file it could not read (the
rest are indexed all the same). Folders are re-read by ``reindex``, which indexes only
files that are new or changed. ``hearth chat --docs NAME[,NAME]`` answers from them and
prints the passages it used, numbered as the reply cites them, under the answer.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from app.chat.service import ChatOptions, ReplyResult
from app.cli.output import error, status, table
from app.docs import sources
from app.docs.chat_docs import ChatDocs
from app.docs.context import cited_numbers
from app.docs.database import SchemaTooNew
from app.docs.embedder import EmbedderError, LlamaEmbedder
from app.docs.index import DocIndex, DocsError, docs_database_path
from app.docs.indexer import Progress, index_collection, index_files
from app.docs.vectors import embed_missing
from app.hearth import Hearth
from app.paths import hearth_paths


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("docs", help="collections of documents to chat with")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add files or folders to a collection (made if new)")
    add.add_argument("name", help='the collection, e.g. "Taxes 2026"')
    add.add_argument("paths", nargs="+", type=Path, help="files and folders (folders watched)")
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", help="the collections, or one collection's files")
    listing.add_argument("name", nargs="?")
    listing.set_defaults(run=run_list)
    remove = actions.add_parser("rm", help="remove a collection, or some of its sources")
    remove.add_argument("name")
    remove.add_argument("paths", nargs="*", type=Path, help="only these files or folders")
    remove.set_defaults(run=run_rm)
    reindex = actions.add_parser("reindex", help="index new and changed files again")
    reindex.add_argument("name", nargs="?", help="one collection (default: all)")
    reindex.add_argument("--force", action="store_true", help="every file, changed or not")
    reindex.set_defaults(run=run_reindex)
    embedder = actions.add_parser(
        "embedder", help="the GGUF embedding model for vector search (default: none, BM25)"
    )
    embedder.add_argument("model", nargs="?", help="a model's name or a GGUF file's path")
    embedder.add_argument("--off", action="store_true", help="no vectors: BM25 alone")
    embedder.set_defaults(run=run_embedder)


def add_chat_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--docs",
        metavar="NAMES",
        help="answer from these document collections (comma-separated; see hearth docs)",
    )


def _open() -> DocIndex:
    return DocIndex.open(docs_database_path(hearth_paths().ensure().data))


def _embedder(index: DocIndex) -> LlamaEmbedder | None:
    chosen = index.embedder_path()
    return LlamaEmbedder(chosen) if chosen is not None and chosen.is_file() else None


def _run(action: str, args: argparse.Namespace) -> int:
    try:
        index = _open()
    except SchemaTooNew as problem:
        return error(str(problem))
    try:
        if action == "add":
            return _add(index, args.name, args.paths)
        if action == "list":
            return _list(index, args.name)
        if action == "rm":
            return _remove(index, args.name, args.paths)
        if action == "embedder":
            return _choose_embedder(index, args.model, args.off)
        return _reindex(index, args.name, args.force)
    except (DocsError, EmbedderError) as problem:
        return error(str(problem))
    finally:
        index.close()


def run_add(args: argparse.Namespace) -> int:
    return _run("add", args)


def run_list(args: argparse.Namespace) -> int:
    return _run("list", args)


def run_rm(args: argparse.Namespace) -> int:
    return _run("rm", args)


def run_reindex(args: argparse.Namespace) -> int:
    return _run("reindex", args)


def run_embedder(args: argparse.Namespace) -> int:
    return _run("embedder", args)


def _add(index: DocIndex, name: str, paths: list[Path]) -> int:
    try:
        collection = index.collection_id(name)
    except DocsError:
        collection = index.create_collection(name)
        status(f"New collection {name!r}.")
    problems = 0
    for path in paths:
        try:
            index.add_source(collection, path)
        except DocsError as problem:
            error(str(problem))
            problems += 1
    code = _index(index, collection, name, force=False)
    return 1 if problems or code else 0


def _index(index: DocIndex, collection: int, name: str, force: bool) -> int:
    embedder = _embedder(index)
    if force:
        run = index_files(index, collection, index.wanted_files(collection), embedder=embedder)
    else:
        run = index_collection(index, collection, embedder=embedder)
    last = Progress()
    terminal = sys.stderr.isatty()
    try:
        for progress in run:
            last = progress
            if terminal and not progress.finished:
                sys.stderr.write(f"\r{progress.summary} {progress.current[:40]:<40}")
                sys.stderr.flush()
    except KeyboardInterrupt:  # the file being read is not counted; the rest are kept
        status(f"\nStopped. `hearth docs reindex {name!r}` indexes the rest.")
        return 130
    finally:
        if embedder is not None:
            embedder.close()
    if terminal:
        sys.stderr.write("\r" + " " * 100 + "\r")
    status(f"{name}: {last.summary}")
    for failure in last.failures:
        status(f"  not indexed: {failure}")
    return 0


def _list(index: DocIndex, name: str | None) -> int:
    if name is None:
        rows: list[tuple[object, ...]] = [
            (c.name, c.files, c.passages, c.failed, "; ".join(c.sources))
            for c in index.collections()
        ]
        print(
            table(("NAME", "FILES", "PASSAGES", "UNREADABLE", "SOURCES"), rows)
            if rows
            else "No collections. Make one with: hearth docs add NAME FILE_OR_FOLDER..."
        )
        return 0
    files = index.files([index.collection_id(name)])
    rows = [
        (f.path, f.kind, f.pages if f.kind == "pdf" else "", f.passages, f.error or "indexed")
        for f in files
    ]
    print(table(("FILE", "KIND", "PAGES", "PASSAGES", "STATUS"), rows) if rows else "No files.")
    return 0


def _remove(index: DocIndex, name: str, paths: list[Path]) -> int:
    collection = index.collection_id(name)
    if not paths:
        index.remove_collection(collection)
        status(f"Removed the collection {name!r} (your files are untouched).")
        return 0
    for path in paths:
        index.remove_source(collection, path)
    status(f"Removed {len(paths)} source(s) from {name!r}.")
    return 0


def _reindex(index: DocIndex, name: str | None, force: bool) -> int:
    chosen = [c for c in index.collections() if name is None or c.name == name]
    if name is not None and not chosen:
        index.collection_id(name)  # raises the message
    for collection in chosen:
        code = _index(index, collection.id, collection.name, force)
        if code:
            return code
    return 0


def _choose_embedder(index: DocIndex, model: str | None, off: bool) -> int:
    if off:
        index.set_embedder_path(None)
        status("Vector search is off: documents are searched by BM25 alone.")
        return 0
    if model is None:
        chosen = index.embedder_path()
        print(f"Embedding model: {chosen}" if chosen else "No embedding model: BM25 alone.")
        return 0
    hearth = Hearth.open()
    try:
        path = Path(hearth.resolve_model(model).path)
    except LookupError as problem:
        return error(str(problem))
    finally:
        hearth.close()
    embedder = LlamaEmbedder(path)
    try:
        embedder.embed(["a test sentence"])  # refuses a file that cannot embed, now
        index.set_embedder_path(path)
        done = 0
        for count in embed_missing(index, embedder):
            done = count
    finally:
        embedder.close()
    status(f"Embedding model: {path.name}; {done} passages embedded.")
    return 0


# -- hearth chat --docs ------------------------------------------------------------------


def check_docs_names(names: str) -> str | None:
    """Why ``--docs NAMES`` cannot be used (a name with no collection), or None."""
    index = _open()
    try:
        for name in _names(names):
            index.collection_id(name)
    except DocsError as problem:
        return str(problem)
    finally:
        index.close()
    return None


def _names(names: str) -> list[str]:
    return [name.strip() for name in names.split(",") if name.strip()]


def docs_options(
    hearth: Hearth, names: str | None, conversation_id: int, options: ChatOptions
) -> tuple[ChatOptions, ChatDocs | None]:
    """The options of one message with the collections ``names`` switched on for the
    conversation, and the open documents (close them after the reply)."""
    if not names:
        return options, None
    docs = ChatDocs.open(hearth.paths.data)
    for name in _names(names):
        docs.index.switch_on(conversation_id, docs.index.collection_id(name))
    info = hearth.engine.info
    context = info.n_ctx if info else 0
    return replace(options, documents=docs.hook(conversation_id, context)), docs


def print_sources(docs: ChatDocs, result: ReplyResult) -> None:
    """Under the answer: what was searched and used, then each passage the reply cites
    (all of them when it cites none), numbered as in the reply."""
    kept = sources.sources_for(docs.index, result.message.parent_id or -1)
    if kept is None:
        return
    print(f"\n{kept.summary}")
    cited = cited_numbers(result.message.content, len(kept.sources))
    for source in kept.sources:
        if cited and source.number not in cited:
            continue
        print(f"  [{source.number}] {source.place}  ({source.how} {source.score:.3f})")
