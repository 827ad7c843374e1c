"""The documents index: collections, their files, and each file's passages.

One owner for the index's state (:class:`DocIndex`), over :class:`DocsDatabase`. A
collection ("Taxes 2026") holds sources, files and folders the user added; syncing it
lists the readable files its sources hold now, and says which need (re)indexing because
they are new or their size or modification time changed. :meth:`DocIndex.store_file`
writes a file's passages and marks it indexed in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.docs.chunking import Chunk
from app.docs.database import FILE_NAME, DocsDatabase
from app.docs.readers import is_supported

# Folders never walked: version control, caches, virtual environments.
_SKIP_DIRS = frozenset(
    [".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".cache"]
)


class DocsError(Exception):
    """A request about collections that cannot be done; ``str()`` says why."""


@dataclass(frozen=True)
class Collection:
    id: int
    name: str
    chat_id: int | None
    sources: tuple[str, ...]
    files: int
    passages: int
    failed: int


@dataclass(frozen=True)
class FileRecord:
    id: int
    path: str
    kind: str
    status: str  # "indexed" or "failed"
    error: str | None
    pages: int
    passages: int


@dataclass(frozen=True)
class Passage:
    id: int
    file_id: int
    path: str
    page: int
    line_start: int
    line_end: int
    text: str

    @property
    def place(self) -> str:
        """Where it is, in words: "report.pdf, page 3" or "notes.md, lines 4-9"."""
        name = Path(self.path).name
        if self.page:
            return f"{name}, page {self.page}"
        if self.line_start == self.line_end:
            return f"{name}, line {self.line_start}"
        return f"{name}, lines {self.line_start}-{self.line_end}"


def docs_database_path(data_folder: Path) -> Path:
    return Path(data_folder) / FILE_NAME


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of a file, or None when it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def walk_folder(folder: Path) -> Iterator[Path]:
    """The readable files under ``folder``, hidden files and tool folders left out."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if not name.startswith(".") and is_supported(path):
                yield path


class DocIndex:
    """Collections and passages in one index file. Thread-safe (the database's lock)."""

    def __init__(self, db: DocsDatabase) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path) -> DocIndex:
        return cls(DocsDatabase.open(path))

    def close(self) -> None:
        self.db.close()

    # -- collections -------------------------------------------------------------------

    def create_collection(self, name: str, chat_id: int | None = None) -> int:
        name = name.strip()
        if not name:
            raise DocsError("A collection needs a name.")
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone():
                raise DocsError(f"There is already a collection named {name!r}.")
            cursor = conn.execute(
                "INSERT INTO collections (name, chat_id, created_at) VALUES (?, ?, ?)",
                (name, chat_id, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def collection_id(self, name: str) -> int:
        with self.db.read() as conn:
            row = conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise DocsError(f"No collection named {name!r}; `hearth docs list` shows them.")
        return int(row[0])

    def chat_collection(self, conversation_id: int) -> int:
        """The collection of the files dropped on one chat (made on first use), switched on."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM collections WHERE chat_id = ?", (conversation_id,)
            ).fetchone()
            if row is not None:
                return int(row[0])
            collection = self.create_collection(f"Chat {conversation_id} files", conversation_id)
            self.switch_on(conversation_id, collection)
            return collection

    def remove_collection(self, collection_id: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
            self._drop_orphans(conn)

    def add_source(self, collection_id: int, path: Path) -> None:
        """Adds a file or a folder (watched: its files are synced) to a collection."""
        path = Path(path).expanduser().resolve()
        if not path.exists():
            raise DocsError(f"{path} does not exist.")
        if path.is_file() and not is_supported(path):
            raise DocsError(f"{path.name}: Hearth does not read {path.suffix or 'such'} files.")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sources (collection_id, path, is_folder) VALUES (?, ?, ?)",
                (collection_id, str(path), int(path.is_dir())),
            )

    def remove_source(self, collection_id: int, path: Path) -> None:
        resolved = str(Path(path).expanduser().resolve())
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM sources WHERE collection_id = ? AND path = ?",
                (collection_id, resolved),
            )
            if not cursor.rowcount:
                raise DocsError(f"{path} is not in that collection.")
            conn.execute(
                "DELETE FROM collection_files WHERE collection_id = ?"
                " AND file_id IN (SELECT id FROM files WHERE path = ? OR path LIKE ?)",
                (collection_id, resolved, resolved.rstrip(os.sep) + os.sep + "%"),
            )
            self._drop_orphans(conn)

    def collections(self, include_chats: bool = False) -> list[Collection]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT c.id, c.name, c.chat_id,"
                " (SELECT count(*) FROM collection_files cf JOIN files f ON f.id = cf.file_id"
                "   WHERE cf.collection_id = c.id AND f.status = 'indexed'),"
                " (SELECT coalesce(sum(f.passages), 0) FROM collection_files cf"
                "   JOIN files f ON f.id = cf.file_id WHERE cf.collection_id = c.id),"
                " (SELECT count(*) FROM collection_files cf JOIN files f ON f.id = cf.file_id"
                "   WHERE cf.collection_id = c.id AND f.status = 'failed')"
                " FROM collections c ORDER BY c.name"
            ).fetchall()
            sources = conn.execute("SELECT collection_id, path FROM sources ORDER BY path")
            by_collection: dict[int, list[str]] = {}
            for collection_id, path in sources:
                by_collection.setdefault(int(collection_id), []).append(str(path))
        return [
            Collection(
                int(row[0]),
                str(row[1]),
                row[2],
                tuple(by_collection.get(int(row[0]), ())),
                int(row[3]),
                int(row[4]),
                int(row[5]),
            )
            for row in rows
            if include_chats or row[2] is None
        ]

    def switch_on(self, conversation_id: int, collection_id: int, on: bool = True) -> None:
        with self.db.transaction() as conn:
            if on:
                conn.execute(
                    "INSERT OR IGNORE INTO chat_collections VALUES (?, ?)",
                    (conversation_id, collection_id),
                )
            else:
                conn.execute(
                    "DELETE FROM chat_collections WHERE conversation_id = ? AND collection_id = ?",
                    (conversation_id, collection_id),
                )

    def chat_collections(self, conversation_id: int) -> list[int]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT collection_id FROM chat_collections WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchall()
        return [int(row[0]) for row in rows]

    # -- the embedding model ------------------------------------------------------------

    def embedder_path(self) -> Path | None:
        """The GGUF embedding model chosen for this index (``hearth docs embedder``)."""
        with self.db.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
        return Path(str(row[0])) if row else None

    def set_embedder_path(self, path: Path | None) -> None:
        with self.db.transaction() as conn:
            if path is None:
                conn.execute("DELETE FROM meta WHERE key = 'embedder'")
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('embedder', ?)", (str(path),)
                )

    # -- syncing -----------------------------------------------------------------------

    def wanted_files(self, collection_id: int) -> list[Path]:
        """The readable files the collection's sources hold now."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT path, is_folder FROM sources WHERE collection_id = ?", (collection_id,)
            ).fetchall()
        found: dict[str, Path] = {}
        for path_text, is_folder in rows:
            path = Path(path_text)
            if is_folder:
                for file in walk_folder(path):
                    found.setdefault(str(file), file)
            elif path.is_file():
                found.setdefault(str(path), path)
        return list(found.values())

    def stale_files(self, collection_id: int) -> list[Path]:
        """The collection's files that are new or changed since they were indexed; files
        that are gone from its sources are dropped from it."""
        wanted = self.wanted_files(collection_id)
        with self.db.read() as conn:
            known = {
                str(row[0]): (int(row[1]), int(row[2]))
                for row in conn.execute("SELECT path, mtime_ns, size FROM files")
            }
        stale = [path for path in wanted if known.get(str(path)) != file_stamp(path)]
        present = [path for path in wanted if str(path) in known]
        with self.db.read() as conn:
            linked = {
                str(row[0])
                for row in conn.execute(
                    "SELECT f.path FROM collection_files cf JOIN files f ON f.id = cf.file_id"
                    " WHERE cf.collection_id = ?",
                    (collection_id,),
                )
            }
        if linked != {str(path) for path in present}:  # no write when nothing moved
            self._link(collection_id, present, exact=True)
        return stale

    def _link(self, collection_id: int, paths: Sequence[Path], exact: bool = False) -> None:
        with self.db.transaction() as conn:
            ids = [
                int(row[0])
                for path in paths
                for row in conn.execute("SELECT id FROM files WHERE path = ?", (str(path),))
            ]
            if exact:
                conn.execute(
                    "DELETE FROM collection_files WHERE collection_id = ? AND file_id NOT IN"
                    f" ({','.join('?' * len(ids)) or 'NULL'})",
                    (collection_id, *ids),
                )
            conn.executemany(
                "INSERT OR IGNORE INTO collection_files VALUES (?, ?)",
                [(collection_id, file_id) for file_id in ids],
            )
            self._drop_orphans(conn)

    @staticmethod
    def _drop_orphans(conn: sqlite3.Connection) -> None:
        """Files no collection holds any more leave the index (passages and all)."""
        conn.execute("DELETE FROM files WHERE id NOT IN (SELECT file_id FROM collection_files)")

    # -- files and passages ------------------------------------------------------------

    def store_file(
        self,
        collection_id: int,
        path: Path,
        kind: str,
        stamp: tuple[int, int],
        pages: int,
        chunks: Sequence[Chunk],
    ) -> int:
        """Replaces a file's passages and marks it indexed, all in one transaction."""
        with self.db.transaction() as conn:
            file_id = self._file_row(conn, path, kind, stamp, "indexed", None, pages, len(chunks))
            conn.execute("DELETE FROM passages WHERE file_id = ?", (file_id,))
            conn.executemany(
                "INSERT INTO passages (file_id, ordinal, page, line_start, line_end, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (file_id, ordinal, c.page, c.line_start, c.line_end, c.text)
                    for ordinal, c in enumerate(chunks)
                ],
            )
            conn.execute(
                "INSERT OR IGNORE INTO collection_files VALUES (?, ?)", (collection_id, file_id)
            )
            return file_id

    def store_failure(
        self, collection_id: int, path: Path, kind: str, stamp: tuple[int, int], error: str
    ) -> None:
        """Records why a file could not be read, so the user sees it (and it is retried
        only when it changes)."""
        with self.db.transaction() as conn:
            file_id = self._file_row(conn, path, kind, stamp, "failed", error, 0, 0)
            conn.execute("DELETE FROM passages WHERE file_id = ?", (file_id,))
            conn.execute(
                "INSERT OR IGNORE INTO collection_files VALUES (?, ?)", (collection_id, file_id)
            )

    @staticmethod
    def _file_row(
        conn: sqlite3.Connection,
        path: Path,
        kind: str,
        stamp: tuple[int, int],
        status: str,
        error: str | None,
        pages: int,
        passages: int,
    ) -> int:
        execute = conn.execute
        execute(
            "INSERT INTO files (path, kind, mtime_ns, size, status, error, pages, passages,"
            " indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET kind = excluded.kind,"
            " mtime_ns = excluded.mtime_ns, size = excluded.size, status = excluded.status,"
            " error = excluded.error, pages = excluded.pages, passages = excluded.passages,"
            " indexed_at = excluded.indexed_at",
            (str(path), kind, stamp[0], stamp[1], status, error, pages, passages, time.time()),
        )
        row = execute("SELECT id FROM files WHERE path = ?", (str(path),)).fetchone()
        return int(row[0])

    def files(self, collection_ids: Iterable[int] | None = None) -> list[FileRecord]:
        sql = "SELECT id, path, kind, status, error, pages, passages FROM files"
        args: tuple[object, ...] = ()
        if collection_ids is not None:
            ids = tuple(collection_ids)
            sql += (
                " WHERE id IN (SELECT file_id FROM collection_files WHERE collection_id IN"
                f" ({','.join('?' * len(ids)) or 'NULL'}))"
            )
            args = ids
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY path", args).fetchall()
        return [
            FileRecord(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], int(r[5]), int(r[6]))
            for r in rows
        ]

    def passages_of(self, file_id: int) -> list[Passage]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT p.id, p.file_id, f.path, p.page, p.line_start, p.line_end, p.text"
                " FROM passages p JOIN files f ON f.id = p.file_id WHERE p.file_id = ?"
                " ORDER BY p.ordinal",
                (file_id,),
            ).fetchall()
        return [passage_from(row) for row in rows]


def passage_from(row: sqlite3.Row) -> Passage:
    return Passage(
        int(row[0]), int(row[1]), str(row[2]), int(row[3]), int(row[4]), int(row[5]), str(row[6])
    )
