"""The SQLite file: opening it, migrating it, and serialising access to one connection.

Threading: one connection, opened with ``check_same_thread=False`` and guarded by a
re-entrant lock held for the length of each read or transaction. Every store call is
short (a few rows, or one FTS5 index lookup), so the GUI thread never waits long behind
a worker; what the lock buys is that two threads can never interleave statements inside
each other's transactions. SQLite itself serialises writers, so a connection per thread
would add open handles and shut-down bookkeeping without letting two writes run at once.
Callers still keep slow work (search as you type, exports) on a worker thread, as the
architecture guide asks.

Durability: WAL with ``synchronous=NORMAL``. A commit has reached the operating system
when it returns, so a killed or crashed Hearth loses nothing it committed; only a power
cut can lose the last moments, and even then the file stays consistent.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.store import migrations

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_S = 5.0


def open_connection(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` (created with its folder if needed),
    set up the way every Hearth database is: rows by name, foreign keys on, WAL with
    ``synchronous=NORMAL``, no implicit transactions, usable from any thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the module starts no transactions on its own; every
    # transaction here is an explicit BEGIN ... COMMIT.
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        conn.row_factory = sqlite3.Row
        # Both pragmas must be set outside a transaction, on every connection.
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # Some network file systems cannot do WAL; the rollback journal still works.
            log.warning("SQLite WAL mode unavailable for %s (journal mode %s)", path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` on ``conn``, rolled back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class GuardedConnection:
    """One connection shared by every thread, held under a re-entrant lock for the length
    of each read or transaction (see the module docstring). Hearth's databases build on it.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection; later calls fail. Safe to call twice."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, held for this thread, for reads.

        Each statement sees a consistent snapshot; wrap several reads that must agree
        with each other in :meth:`transaction` instead.
        """
        with self._lock:
            yield self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        ``BEGIN IMMEDIATE`` takes SQLite's write lock at the start, so a transaction never
        fails half-way because another process wrote first. Nested use joins the outer
        transaction (the outermost block commits).
        """
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            with immediate_transaction(self._conn):
                yield self._conn


class Database(GuardedConnection):
    """An open Hearth database. Build it with :meth:`open`; end it with :meth:`close`.

    ``backup_path`` is the copy taken before migrating an existing file on this open
    (``None`` when the file was new or already current), so the UI can mention it.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, backup_path: Path | None) -> None:
        super().__init__(conn)
        self.path = path
        self.backup_path = backup_path

    @classmethod
    def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        Raises :class:`~app.store.errors.SchemaTooNewError` for a file from a newer Hearth
        and :class:`~app.store.errors.NotHearthDatabaseError` for someone else's database.
        Migrating a large file (backup, search index) takes a moment: call this at
        start-up or on a worker, not from a GUI event handler.
        """
        path = Path(path)
        conn = open_connection(path, _BUSY_TIMEOUT_S)
        try:
            backup_path = None
            version = migrations.check_can_migrate(conn)
            if 0 < version < migrations.SCHEMA_VERSION:
                backup_path = migrations.backup_before_migrating(conn, path, version)
                log.info("Backed up %s (schema v%d) to %s", path, version, backup_path)
            migrations.migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, backup_path)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return migrations.schema_version(conn)
