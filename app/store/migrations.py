"""The database schema, as numbered steps, and the code that applies them.

``PRAGMA user_version`` holds the number of the last step applied. A new file runs every
step from 1, so an old database and a new one go down the same path. Steps are only ever
appended; a released step is never edited.

All pending steps run in one transaction together with the version bump, so a failure
(or a crash) leaves the file exactly as it was. Before an existing database is migrated
its file is copied aside (see :func:`backup_before_migrating`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.store.errors import NotHearthDatabaseError, SchemaTooNewError

# Each step is a list of single statements: Python's ``executescript`` would commit the
# surrounding transaction, which must stay open until every step has run.
_STEP_1_CONVERSATIONS_AND_MESSAGES = [
    """
    CREATE TABLE conversations (
        id              INTEGER PRIMARY KEY,
        title           TEXT NOT NULL,
        model           TEXT,
        created_at      REAL NOT NULL,
        updated_at      REAL NOT NULL,
        current_leaf_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        deleted_at      REAL
    )
    """,
    # Messages form a tree per conversation: regenerating a reply or editing a question
    # adds a sibling under the same parent. parent_id has no cascade on purpose: a whole
    # conversation is removed in one statement (through conversation_id), and a single
    # message with children can never be deleted by accident.
    """
    CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id         INTEGER REFERENCES messages(id),
        role              TEXT NOT NULL,
        content           TEXT NOT NULL DEFAULT '',
        model             TEXT,
        created_at        REAL NOT NULL,
        updated_at        REAL NOT NULL,
        status            TEXT NOT NULL DEFAULT 'complete',
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        ttft_ms           REAL,
        tokens_per_s      REAL,
        error             TEXT
    )
    """,
    "CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id, id)",
    "CREATE INDEX messages_by_parent_id ON messages(parent_id)",
    # Start-up looks for replies left streaming; keep that lookup off a table scan.
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    "CREATE INDEX conversations_by_update ON conversations(deleted_at, updated_at)",
]

_STEP_2_FULL_TEXT_SEARCH = [
    # An external-content index: the text lives once, in messages; triggers keep the
    # index in step with every insert, edit and delete.
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content,
        content='messages',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END
    """,
    # Index the messages an older database already holds.
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]

_STEP_3_MODEL_SETTINGS = [
    """
    CREATE TABLE model_settings (
        model_key              TEXT PRIMARY KEY,
        system_prompt          TEXT NOT NULL DEFAULT '',
        temperature            REAL NOT NULL,
        top_p                  REAL NOT NULL,
        top_k                  INTEGER NOT NULL,
        min_p                  REAL NOT NULL,
        repeat_penalty         REAL NOT NULL,
        seed                   INTEGER,
        max_tokens             INTEGER NOT NULL,
        context_length         INTEGER,
        gpu_layers             INTEGER,
        chat_template_override TEXT,
        updated_at             REAL NOT NULL
    )
    """,
]

_STEP_4_THINKING = [
    # A reply's thinking, kept apart from its answer (search and copy use the answer).
    "ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE messages ADD COLUMN thinking_ms REAL",
    # Per chat: thinking on/off (NULL: the model's setting) and effort (NULL: likewise).
    "ALTER TABLE conversations ADD COLUMN thinking INTEGER",
    "ALTER TABLE conversations ADD COLUMN effort TEXT",
    # Per model: the same switches, and a grammar every reply must follow.
    "ALTER TABLE model_settings ADD COLUMN thinking INTEGER",
    "ALTER TABLE model_settings ADD COLUMN effort TEXT",
    "ALTER TABLE model_settings ADD COLUMN grammar TEXT",
]

_STEP_5_REPLY_WRITER = [
    # Which process writes a streaming reply (a lease id, see app.store.writers), so a
    # Hearth that starts meanwhile marks only replies whose writer has ended.
    "ALTER TABLE messages ADD COLUMN writer TEXT",
]

# Keys written before step 6 that hold no folder: a bare file name.
_BARE = "instr({0}, '/') = 0 AND instr({0}, '\\') = 0"

_STEP_6_MODEL_KEYS_BY_REPO_AND_PATH = [
    # Models used to be keyed by their bare file name, so two repositories' files of the
    # same name shared settings. Keys are now the path in the models folder (see
    # app.library.model_keys). Which file a bare name meant depends on the models on
    # disk, which SQL cannot see: this step lists the bare names still in use, and
    # app.store.model_rekey moves each to its model's new key when Hearth opens (in one
    # transaction), crossing a name off once it is settled.
    "CREATE TABLE legacy_model_keys (key TEXT PRIMARY KEY)",
    f"""
    INSERT OR IGNORE INTO legacy_model_keys (key)
    SELECT model_key FROM model_settings WHERE {_BARE.format("model_key")}
    UNION SELECT model FROM conversations WHERE model IS NOT NULL AND {_BARE.format("model")}
    UNION SELECT model FROM messages WHERE model IS NOT NULL AND {_BARE.format("model")}
    """,
]

_STEP_7_TOOL_CALLS = [
    # An assistant turn's tool calls, as a JSON list of {"id", "name", "arguments",
    # "raw", "error"} (NULL when it made none; see app.store.tool_records).
    "ALTER TABLE messages ADD COLUMN tool_calls TEXT",
    # A tool message (role "tool") answers one call: its id, the tool's name, how it
    # went ("ok", "error", "invalid", "declined", "skipped") and the pictures it made
    # (a JSON list of local file paths).
    "ALTER TABLE messages ADD COLUMN tool_call_id TEXT",
    "ALTER TABLE messages ADD COLUMN tool_name TEXT",
    "ALTER TABLE messages ADD COLUMN tool_outcome TEXT",
    "ALTER TABLE messages ADD COLUMN tool_images TEXT",
    # Which tools a chat offers (names joined by commas; NULL: the model's setting;
    # "": none), and per model the same and whether a reply must begin with a call.
    "ALTER TABLE conversations ADD COLUMN tools TEXT",
    "ALTER TABLE model_settings ADD COLUMN tools TEXT",
    "ALTER TABLE model_settings ADD COLUMN tool_choice TEXT",
]

_STEP_8_ARENA_AND_THINK_LONGER = [
    # Arena comparisons (see app.store.arena): a session pits two sides (a model, or a
    # model with other settings) against each other; each turn is one prompt, both
    # answers and the user's vote ("a", "b", "tie", "both_bad"; NULL until voted).
    """
    CREATE TABLE arena_sessions (
        id          INTEGER PRIMARY KEY,
        created_at  REAL NOT NULL,
        tag         TEXT NOT NULL DEFAULT '',
        side_a      TEXT NOT NULL,
        side_b      TEXT NOT NULL,
        model_a     TEXT NOT NULL,
        model_b     TEXT NOT NULL,
        settings_a  TEXT NOT NULL DEFAULT '{}',
        settings_b  TEXT NOT NULL DEFAULT '{}'
    )
    """,
    """
    CREATE TABLE arena_turns (
        id              INTEGER PRIMARY KEY,
        session_id      INTEGER NOT NULL REFERENCES arena_sessions(id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        prompt          TEXT NOT NULL,
        answer_a        TEXT NOT NULL DEFAULT '',
        answer_b        TEXT NOT NULL DEFAULT '',
        status_a        TEXT NOT NULL DEFAULT 'streaming',
        status_b        TEXT NOT NULL DEFAULT 'streaming',
        ttft_ms_a       REAL,
        ttft_ms_b       REAL,
        tokens_per_s_a  REAL,
        tokens_per_s_b  REAL,
        vote            TEXT,
        voted_at        REAL,
        created_at      REAL NOT NULL
    )
    """,
    "CREATE INDEX arena_turns_by_session ON arena_turns(session_id, position)",
    # Think longer (see app.store.think_runs): the candidates sampled for a reply, how
    # one was chosen ("vote", "judge", "effort") and why; message_id is the version made.
    """
    CREATE TABLE think_runs (
        id          INTEGER PRIMARY KEY,
        source_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        message_id  INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        method      TEXT NOT NULL DEFAULT '',
        reason      TEXT NOT NULL DEFAULT '',
        chosen      INTEGER,
        created_at  REAL NOT NULL
    )
    """,
    "CREATE INDEX think_runs_by_message ON think_runs(message_id)",
    """
    CREATE TABLE think_candidates (
        run_id             INTEGER NOT NULL REFERENCES think_runs(id) ON DELETE CASCADE,
        position           INTEGER NOT NULL,
        content            TEXT NOT NULL,
        temperature        REAL NOT NULL,
        completion_tokens  INTEGER,
        prompt_eval_tokens INTEGER,
        total_ms           REAL,
        status             TEXT NOT NULL,
        PRIMARY KEY (run_id, position)
    )
    """,
]

_STEP_9_KV_CACHE_TYPE = [
    # The KV cache's element type per model ("f16", "q8_0", "q4_0"; NULL: f16).
    "ALTER TABLE model_settings ADD COLUMN kv_cache_type TEXT",
]

_STEP_10_SPECULATIVE = [
    # Speculative decoding per model ("off", "lookup", "draft"; NULL: the default) and
    # the draft model's key.
    "ALTER TABLE model_settings ADD COLUMN speculative TEXT",
    "ALTER TABLE model_settings ADD COLUMN draft_model TEXT",
]

MIGRATIONS: list[list[str]] = [
    _STEP_1_CONVERSATIONS_AND_MESSAGES,
    _STEP_2_FULL_TEXT_SEARCH,
    _STEP_3_MODEL_SETTINGS,
    _STEP_4_THINKING,
    _STEP_5_REPLY_WRITER,
    _STEP_6_MODEL_KEYS_BY_REPO_AND_PATH,
    _STEP_7_TOOL_CALLS,
    _STEP_8_ARENA_AND_THINK_LONGER,
    _STEP_9_KV_CACHE_TYPE,
    _STEP_10_SPECULATIVE,
]
"""Step ``n`` (1-based) is ``MIGRATIONS[n - 1]``."""

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of the last step applied to this database (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_can_migrate(conn: sqlite3.Connection) -> int:
    """Return the current version, or raise if this file is not ours to migrate."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"This database has schema version {version}; this Hearth knows up to "
            f"{SCHEMA_VERSION}. Update Hearth to open it."
        )
    if version == 0:
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
        if tables:
            raise NotHearthDatabaseError("This SQLite file already holds other tables.")
    return version


def backup_before_migrating(conn: sqlite3.Connection, db_path: Path, version: int) -> Path:
    """Copy the database (as it is at ``version``) beside itself; return the copy's path.

    SQLite's online backup copies a consistent snapshot, including anything still in
    the WAL file, which copying the main file alone would miss.
    """
    backup_path = db_path.with_name(f"{db_path.name}.v{version}.bak")
    target = sqlite3.connect(backup_path)
    try:
        conn.backup(target)
    finally:
        target.close()
    return backup_path


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the steps after the current version up to ``target``, in one transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and outside any
    transaction. Returns the version the database had before. Intermediate targets are
    for tests that need a database as an older Hearth left it.
    """
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {target}")
    # IMMEDIATE takes the write lock now, so a second Hearth opening the same file
    # waits here instead of migrating alongside us.
    conn.execute("BEGIN IMMEDIATE")
    try:
        start = check_can_migrate(conn)
        for number in range(start + 1, target + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
        if target > start:
            # PRAGMA takes no parameters; target is an int we checked above.
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return start
