"""The documents index's own SQLite file (``docs.sqlite3`` in the data folder).

Kept apart from the chats database: an index can be rebuilt from the files, and a large
one should never slow or endanger the conversations. Same discipline as ``app.store``:
WAL with ``synchronous=NORMAL``, one connection guarded by a re-entrant lock, every
write an explicit ``BEGIN IMMEDIATE`` ... ``COMMIT``, and the schema in numbered steps
recorded in ``PRAGMA user_version``.

A file counts as indexed only when its row says so, and that row is written in the same
transaction as all of its passages: a crash mid-file leaves the file as it was before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.store.database import GuardedConnection, immediate_transaction, open_connection

_BUSY_TIMEOUT_S = 10.0
FILE_NAME = "docs.sqlite3"

_STEPS: list[list[str]] = [
    [
        """
        CREATE TABLE collections (
            id         INTEGER PRIMARY KEY,
            name       TEXT NOT NULL UNIQUE,
            chat_id    INTEGER,          -- set for the files dropped on one chat
            created_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE sources (             -- what the user added: a file or a folder
            id            INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            path          TEXT NOT NULL,
            is_folder     INTEGER NOT NULL,
            UNIQUE (collection_id, path)
        )
        """,
        """
        CREATE TABLE files (
            id         INTEGER PRIMARY KEY,
            path       TEXT NOT NULL UNIQUE,
            kind       TEXT NOT NULL,
            mtime_ns   INTEGER NOT NULL,
            size       INTEGER NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
            error      TEXT,
            pages      INTEGER NOT NULL DEFAULT 0,
            passages   INTEGER NOT NULL DEFAULT 0,
            indexed_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE collection_files (
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            file_id       INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            PRIMARY KEY (collection_id, file_id)
        )
        """,
        """
        CREATE TABLE passages (
            id         INTEGER PRIMARY KEY,
            file_id    INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            ordinal    INTEGER NOT NULL,
            page       INTEGER NOT NULL,   -- 1-based for PDFs, 0 for formats without pages
            line_start INTEGER NOT NULL,   -- 1-based, within the page
            line_end   INTEGER NOT NULL,
            text       TEXT NOT NULL
        )
        """,
        "CREATE INDEX passages_file ON passages(file_id, ordinal)",
        """
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            text, content='passages', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
            INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
        END
        """,
        """
        CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
            INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END
        """,
        """
        CREATE TABLE vectors (             -- one embedding per passage, per embedder
            passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
            model      TEXT NOT NULL,
            vector     BLOB NOT NULL,      -- float32, normalised to length 1
            PRIMARY KEY (passage_id, model)
        )
        """,
        """
        CREATE TABLE chat_collections (    -- the collections each chat has switched on
            conversation_id INTEGER NOT NULL,
            collection_id   INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            PRIMARY KEY (conversation_id, collection_id)
        )
        """,
        """
        CREATE TABLE question_sources (    -- what a question's reply was given, kept as shown
            message_id INTEGER NOT NULL,   -- the user's message in the chats database
            number     INTEGER NOT NULL,   -- the [n] the prompt gave it
            path       TEXT NOT NULL,
            page       INTEGER NOT NULL,
            line_start INTEGER NOT NULL,
            line_end   INTEGER NOT NULL,
            score      REAL NOT NULL,
            how        TEXT NOT NULL,      -- 'bm25', 'vector', 'hybrid' or 'whole'
            text       TEXT NOT NULL,
            searched   INTEGER NOT NULL,   -- files searched for that question
            PRIMARY KEY (message_id, number)
        )
        """,
    ],
    [
        """
        CREATE TABLE meta (                -- the index's own choices (the embedding model)
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    ],
]
SCHEMA_VERSION = len(_STEPS)


class SchemaTooNew(Exception):
    """The index was written by a newer Hearth."""


class DocsDatabase(GuardedConnection):
    """The open index file. Build it with :meth:`open`; end it with :meth:`close`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        super().__init__(conn)
        self.path = path

    @classmethod
    def open(cls, path: Path) -> DocsDatabase:
        path = Path(path)
        conn = open_connection(path, _BUSY_TIMEOUT_S)
        try:
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def integrity_ok(self) -> bool:
        with self.read() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"The documents index was made by a newer Hearth (schema {version});"
            " update Hearth or remove docs.sqlite3 to rebuild it."
        )
    if version == SCHEMA_VERSION:
        return
    with immediate_transaction(conn):
        for step in _STEPS[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
