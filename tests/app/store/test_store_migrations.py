"""Opening and migrating the file: WAL, foreign keys, stepwise upgrades with a backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import (
    ConversationStore,
    Database,
    ModelSettings,
    ModelSettingsStore,
    NotHearthDatabaseError,
    SchemaTooNewError,
)
from app.store.migrations import SCHEMA_VERSION, migrate


def _make_v1_database(path: Path) -> None:
    """A file as the first Hearth schema left it, with one short chat in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, target=1)
        conn.execute(
            "INSERT INTO conversations (id, title, model, created_at, updated_at) "
            "VALUES (1, 'Old chat', 'old-model', 1.0, 2.0)"
        )
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, "
            "created_at, updated_at) VALUES (1, 1, NULL, 'user', 'ancient aardvark', 1.0, 1.0)"
        )
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, "
            "created_at, updated_at) VALUES (2, 1, 1, 'assistant', 'Aardvarks dig.', 2.0, 2.0)"
        )
        conn.execute("UPDATE conversations SET current_leaf_id = 2 WHERE id = 1")
    finally:
        conn.close()


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def test_a_new_database_is_current_in_wal_mode_with_foreign_keys(db_path: Path) -> None:
    with Database.open(db_path) as db, db.read() as conn:
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        backup_path = db.backup_path

    assert (journal_mode, foreign_keys, version) == ("wal", 1, SCHEMA_VERSION)
    assert backup_path is None
    assert list(db_path.parent.glob("*.bak")) == []


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        conn.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at, updated_at) "
            "VALUES (999, 'user', 'orphan', 0, 0)"
        )


def test_a_v1_database_is_upgraded_after_a_backup(db_path: Path) -> None:
    _make_v1_database(db_path)

    with Database.open(db_path) as db:
        store = ConversationStore(db)
        version = db.schema_version
        backup_path = db.backup_path
        path = [m.content for m in store.active_path(1)]
        # The search index is built for messages written before it existed.
        hits = [(h.conversation_id, h.message_id) for h in store.search("aardvark")]
        ModelSettingsStore(db).save(ModelSettings(model_key="old-model", top_k=7))

    assert version == SCHEMA_VERSION
    assert path == ["ancient aardvark", "Aardvarks dig."]
    assert sorted(hits) == [(1, 1), (1, 2)]
    assert backup_path is not None and backup_path.exists()
    assert backup_path.parent == db_path.parent
    assert _user_version(backup_path) == 1
    conn = sqlite3.connect(backup_path)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
    finally:
        conn.close()


def test_reopening_a_current_database_takes_no_backup(db_path: Path) -> None:
    Database.open(db_path).close()

    with Database.open(db_path) as db:
        assert db.backup_path is None

    assert list(db_path.parent.glob("*.bak")) == []


def test_a_failed_migration_leaves_the_old_schema_whole(db_path: Path) -> None:
    _make_v1_database(db_path)
    conn = sqlite3.connect(db_path)
    # Step 3 creates this table; a clash makes it fail after step 2 has run.
    conn.execute("CREATE TABLE model_settings (something_else TEXT)")
    conn.commit()
    conn.close()

    with pytest.raises(sqlite3.OperationalError, match="model_settings"):
        Database.open(db_path)

    assert _user_version(db_path) == 1
    assert "messages_fts" not in _tables(db_path)  # step 2 was rolled back too
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT content FROM messages ORDER BY id").fetchall() == [
            ("ancient aardvark",),
            ("Aardvarks dig.",),
        ]
    finally:
        conn.close()


def test_a_database_from_a_newer_hearth_is_refused_untouched(db_path: Path) -> None:
    Database.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(SchemaTooNewError):
        Database.open(db_path)

    assert _user_version(db_path) == SCHEMA_VERSION + 1


def test_someone_elses_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()

    with pytest.raises(NotHearthDatabaseError):
        Database.open(db_path)

    assert _tables(db_path) == {"photos"}


def test_a_transaction_that_raises_is_rolled_back(db: Database) -> None:
    store = ConversationStore(db)
    conversation = store.create_conversation("before", None)

    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("UPDATE conversations SET title = 'during' WHERE id = ?", (conversation.id,))
        raise RuntimeError("abandon")

    assert store.get_conversation(conversation.id).title == "before"


def test_nested_transactions_commit_together(db: Database) -> None:
    store = ConversationStore(db)

    with db.transaction():
        first = store.create_conversation("one", None)
        second = store.create_conversation("two", None)

    assert {c.id for c in store.list_conversations()} == {first.id, second.id}


def test_an_outer_rollback_undoes_the_nested_writes(db: Database) -> None:
    store = ConversationStore(db)

    with pytest.raises(RuntimeError), db.transaction():
        store.create_conversation("inner", None)
        raise RuntimeError("abandon")

    assert store.list_conversations() == []
