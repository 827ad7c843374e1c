"""Conversations and their messages: the tree of versions, the visible path, and search.

Each message points at its parent (``None`` for a conversation's first message), so a
conversation is a tree. Regenerating a reply adds an assistant sibling under the same
parent; editing an earlier question and sending it again adds a user sibling. Nothing is
overwritten, so every earlier version stays. ``conversations.current_leaf_id`` picks the
branch on screen: the visible chat is the path from the root down to that leaf.

Every method is one short transaction that is committed before it returns, which is what
lets a crash lose at most the reply text not yet written (see ``update_message``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from enum import Enum
from typing import Any

from app.store.database import Database
from app.store.errors import NotFoundError
from app.store.records import (
    MESSAGE_ROLES,
    MESSAGE_STATUSES,
    TOOL_OUTCOMES,
    Conversation,
    Message,
    SearchHit,
    StoredToolCall,
)
from app.store.search_query import build_match_query
from app.store.tool_records import decode_calls, decode_images, encode_calls, encode_images
from app.store.writers import WriterLease, sweep_stale_leases, writer_alive, writers_folder

# Columns are named after the record fields, so a row maps onto a record by position.
_CONVERSATION_COLUMNS = ", ".join(field.name for field in fields(Conversation))
_MESSAGE_COLUMNS = ", ".join(field.name for field in fields(Message))
# Well under SQLite's limit on bound parameters in one statement.
_IDS_PER_QUERY = 500
_M_MESSAGE_COLUMNS = ", ".join(f"m.{field.name}" for field in fields(Message))

# Follows "most recent child" from a message down to the bottom of its branch. The
# scalar subquery yields NULL below the last message, which ends the recursion.
_NEWEST_LEAF_SQL = """
WITH RECURSIVE down(id, depth) AS (
    SELECT ?, 0
    UNION ALL
    SELECT (SELECT max(child.id) FROM messages AS child WHERE child.parent_id = down.id),
           down.depth + 1
    FROM down WHERE down.id IS NOT NULL
)
SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1
"""

# Climbs from the current leaf to the root, then lists the path root first.
_ACTIVE_PATH_SQL = f"""
WITH RECURSIVE up(id, depth) AS (
    SELECT current_leaf_id, 0 FROM conversations
    WHERE id = ? AND current_leaf_id IS NOT NULL
    UNION ALL
    SELECT m.parent_id, up.depth + 1 FROM messages AS m
    JOIN up ON m.id = up.id
    WHERE m.parent_id IS NOT NULL
)
SELECT {_M_MESSAGE_COLUMNS}
FROM up JOIN messages AS m ON m.id = up.id
ORDER BY up.depth DESC
"""

_SEARCH_SQL = """
SELECT m.conversation_id, m.id, c.title, m.role,
       snippet(messages_fts, 0, ?, ?, '…', ?) AS snippet
FROM messages_fts
JOIN messages AS m ON m.id = messages_fts.rowid
JOIN conversations AS c ON c.id = m.conversation_id
WHERE messages_fts MATCH ? AND c.deleted_at IS NULL AND m.role != 'tool'
ORDER BY messages_fts.rank, m.id DESC
LIMIT ?
"""

_SNIPPET_TOKENS = 16


class _Unset(Enum):
    """Marks an argument the caller did not pass, as distinct from passing ``None``."""

    UNSET = "unset"


UNSET = _Unset.UNSET


def _conversation(row: sqlite3.Row) -> Conversation:
    conversation = Conversation(*row)
    if conversation.thinking is not None:  # stored as 0/1
        conversation.thinking = bool(conversation.thinking)
    return conversation


def _message(row: sqlite3.Row) -> Message:
    message = Message(*row)
    # Stored as JSON text (see app.store.tool_records).
    message.tool_calls = decode_calls(row["tool_calls"])
    message.tool_images = decode_images(row["tool_images"])
    return message


def _check_role(role: str) -> None:
    if role not in MESSAGE_ROLES:
        raise ValueError(f"unknown message role {role!r}; expected one of {sorted(MESSAGE_ROLES)}")


def _check_status(status: str) -> None:
    if status not in MESSAGE_STATUSES:
        raise ValueError(
            f"unknown message status {status!r}; expected one of {sorted(MESSAGE_STATUSES)}"
        )


class ConversationStore:
    """Reads and writes conversations and messages in a :class:`Database`.

    Safe to share between the GUI thread and workers (the database serialises access).
    ``clock`` gives the time stamps (Unix seconds); tests hand in their own.

    ``writer`` is this process's lease (see :mod:`app.store.writers`): each streaming reply
    records it, so another Hearth opening meanwhile leaves that reply alone. Without one,
    streaming replies record no writer and the next :meth:`mark_interrupted` takes them
    for cut off.

    A conversation's ``updated_at`` moves when a message is added or changed, not on a
    rename, a model change or a version switch, so the list order follows chat activity.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        writer: WriterLease | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._writer = writer
        self._data_version: int | None = None

    def changed_elsewhere(self) -> bool:
        """Whether another connection (the command line, another Hearth process) has
        committed to the database since the last call; the first call says False.

        SQLite's ``data_version`` moves only for other connections' commits, so this
        store's own writes never count, and asking costs no table read.
        """
        with self._db.read() as conn:
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        changed = self._data_version is not None and version != self._data_version
        self._data_version = version
        return changed

    # Conversations ---------------------------------------------------------------

    def create_conversation(self, title: str, model: str | None) -> Conversation:
        now = self._clock()
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, model, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (title, model, now, now),
            )
            conversation_id = cursor.lastrowid
        assert conversation_id is not None
        return Conversation(conversation_id, title, model, now, now, None)

    def get_conversation(self, conversation_id: int) -> Conversation:
        """The conversation, deleted or not; raises :class:`NotFoundError` if none."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation {conversation_id}")
        return _conversation(row)

    def list_conversations(self) -> list[Conversation]:
        """Conversations not deleted, most recently updated first."""
        return self._list_conversations(deleted=False)

    def list_deleted_conversations(self) -> list[Conversation]:
        """Conversations in the bin (deleted, not yet purged), most recently updated first."""
        return self._list_conversations(deleted=True)

    def _list_conversations(self, *, deleted: bool) -> list[Conversation]:
        condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE {condition} "
                "ORDER BY updated_at DESC, id DESC"
            ).fetchall()
        return [_conversation(row) for row in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self._update_conversation(conversation_id, "title = ?", (title,))

    def set_conversation_model(self, conversation_id: int, model: str | None) -> None:
        self._update_conversation(conversation_id, "model = ?", (model,))

    def set_tools(self, conversation_id: int, tools: Sequence[str] | None) -> None:
        """The tools this chat offers, by name; ``None`` follows the model's settings."""
        value = None if tools is None else ",".join(tools)
        self._update_conversation(conversation_id, "tools = ?", (value,))

    def set_thinking(self, conversation_id: int, thinking: bool | None, effort: str | None) -> None:
        """This chat's thinking switches; ``None`` follows the model's settings."""
        value = None if thinking is None else int(thinking)
        self._update_conversation(conversation_id, "thinking = ?, effort = ?", (value, effort))

    def delete_conversation(self, conversation_id: int) -> None:
        """Move the conversation to the bin; :meth:`restore_conversation` brings it back."""
        with self._db.transaction() as conn:
            self._require_conversation(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (self._clock(), conversation_id),
            )

    def restore_conversation(self, conversation_id: int) -> None:
        self._update_conversation(conversation_id, "deleted_at = NULL", ())

    def purge_deleted(self, *, deleted_before: float | None = None) -> int:
        """Remove binned conversations (only those deleted before the given time, if one is
        given) with all their messages, for good. Returns how many were removed."""
        cutoff = float("inf") if deleted_before is None else deleted_before
        with self._db.transaction() as conn:
            # One statement: the messages go through ON DELETE CASCADE, all at once.
            cursor = conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?",
                (cutoff,),
            )
            return cursor.rowcount

    def _update_conversation(
        self, conversation_id: int, assignment: str, params: tuple[Any, ...]
    ) -> None:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE conversations SET {assignment} WHERE id = ?", (*params, conversation_id)
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no conversation {conversation_id}")

    @staticmethod
    def _require_conversation(conn: sqlite3.Connection, conversation_id: int) -> sqlite3.Row:
        row = conn.execute(
            "SELECT id, deleted_at FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation {conversation_id}")
        return row

    # Messages --------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        parent_id: int | None,
        role: str,
        content: str,
        *,
        model: str | None = None,
        status: str = "complete",
        tool_call_id: str | None = None,
        tool_name: str | None = None,
        tool_outcome: str | None = None,
        tool_images: Sequence[str] = (),
    ) -> Message:
        """Commit a new message under ``parent_id``; it becomes the conversation's leaf.

        A parent that already has children gets one more: that is how a regenerated
        reply or an edited question becomes a new version beside the old one. A tool
        message (role ``tool``) names the call it answers, the tool and the outcome.
        """
        _check_role(role)
        _check_status(status)
        if tool_outcome is not None and tool_outcome not in TOOL_OUTCOMES:
            raise ValueError(f"unknown tool outcome {tool_outcome!r}")
        writer = None
        if status == "streaming" and self._writer is not None:
            writer = self._writer.writer_id()
        now = self._clock()
        with self._db.transaction() as conn:
            conversation = self._require_conversation(conn, conversation_id)
            if conversation["deleted_at"] is not None:
                raise ValueError(f"conversation {conversation_id} is deleted")
            if parent_id is not None:
                parent = conn.execute(
                    "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
                ).fetchone()
                if parent is None or parent["conversation_id"] != conversation_id:
                    raise NotFoundError(f"no message {parent_id} in conversation {conversation_id}")
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, model, "
                "created_at, updated_at, status, writer, tool_call_id, tool_name, "
                "tool_outcome, tool_images) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    parent_id,
                    role,
                    content,
                    model,
                    now,
                    now,
                    status,
                    writer,
                    tool_call_id,
                    tool_name,
                    tool_outcome,
                    encode_images(tool_images),
                ),
            )
            message_id = cursor.lastrowid
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ?, updated_at = ? WHERE id = ?",
                (message_id, now, conversation_id),
            )
        assert message_id is not None
        return Message(
            id=message_id,
            conversation_id=conversation_id,
            parent_id=parent_id,
            role=role,
            content=content,
            model=model,
            created_at=now,
            updated_at=now,
            status=status,
            prompt_tokens=None,
            completion_tokens=None,
            ttft_ms=None,
            tokens_per_s=None,
            error=None,
            tool_call_id=tool_call_id,
            tool_name=tool_name,
            tool_outcome=tool_outcome,
            tool_images=tuple(tool_images),
        )

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        prompt_tokens: int | _Unset | None = UNSET,
        completion_tokens: int | _Unset | None = UNSET,
        ttft_ms: float | _Unset | None = UNSET,
        tokens_per_s: float | _Unset | None = UNSET,
        error: str | _Unset | None = UNSET,
        reasoning: str | None = None,
        thinking_ms: float | _Unset | None = UNSET,
        tool_calls: Sequence[StoredToolCall] | None = None,
    ) -> None:
        """Change only the fields given, and commit.

        ``content`` and ``status`` can never be empty in the database, so ``None`` leaves
        them as they are. The other fields may be cleared by passing ``None`` explicitly;
        leaving them out keeps them. A streaming reply calls this with the whole text so
        far every half second while text comes (see ``app.chat.service``), so a crash
        loses at most that half second. ``tool_calls`` replaces an assistant turn's
        calls (an empty list clears them).
        """
        assignments: dict[str, Any] = {}
        if tool_calls is not None:
            assignments["tool_calls"] = encode_calls(tool_calls)
        if content is not None:
            assignments["content"] = content
        if reasoning is not None:
            assignments["reasoning"] = reasoning
        if status is not None:
            _check_status(status)
            assignments["status"] = status
        optional = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "ttft_ms": ttft_ms,
            "tokens_per_s": tokens_per_s,
            "error": error,
            "thinking_ms": thinking_ms,
        }
        assignments.update({name: value for name, value in optional.items() if value is not UNSET})
        now = self._clock()
        assignments["updated_at"] = now
        # Column names come from the fixed keys above, never from the caller.
        set_clause = ", ".join(f"{name} = ?" for name in assignments)
        with self._db.transaction() as conn:
            # (No UPDATE ... RETURNING: it needs SQLite 3.35, newer than some Pythons ship.)
            message = self._require_message(conn, message_id)
            conn.execute(
                f"UPDATE messages SET {set_clause} WHERE id = ?",
                (*assignments.values(), message_id),
            )
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (now, message["conversation_id"]),
            )

    def get_message(self, message_id: int) -> Message:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no message {message_id}")
        return _message(row)

    def list_messages(self, conversation_id: int) -> list[Message]:
        """Every message of the conversation, all versions, oldest first."""
        with self._db.read() as conn:
            self._require_conversation(conn, conversation_id)
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [_message(row) for row in rows]

    def active_path(self, conversation_id: int) -> list[Message]:
        """The visible chat: from the first message down to the current leaf."""
        with self._db.read() as conn:
            self._require_conversation(conn, conversation_id)
            rows = conn.execute(_ACTIVE_PATH_SQL, (conversation_id,)).fetchall()
        return [_message(row) for row in rows]

    def versions(self, message_id: int) -> list[Message]:
        """The versions a message is one of: its siblings of the same role, oldest first.

        The list includes the message itself; one element means there is no other version.
        """
        with self._db.read() as conn:
            message = self._require_message(conn, message_id)
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages "
                "WHERE conversation_id = ? AND parent_id IS ? AND role = ? ORDER BY id",
                (message["conversation_id"], message["parent_id"], message["role"]),
            ).fetchall()
        return [_message(row) for row in rows]

    def version_ids(self, message_ids: Sequence[int]) -> dict[int, list[int]]:
        """For each message, the ids of the versions it is one of, oldest first.

        One query for a whole conversation, where :meth:`versions` would take one each.
        """
        found: dict[int, list[int]] = {}
        ids = list(message_ids)
        with self._db.read() as conn:
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                rows = conn.execute(
                    "SELECT m.id, s.id FROM messages AS m JOIN messages AS s"
                    " ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id"
                    f" AND s.role = m.role WHERE m.id IN ({', '.join('?' * len(chunk))})"
                    " ORDER BY m.id, s.id",
                    chunk,
                ).fetchall()
                for message_id, sibling_id in rows:
                    found.setdefault(message_id, []).append(sibling_id)
        return found

    def select_version(self, message_id: int) -> None:
        """Show this message: its branch's newest descendant becomes the current leaf.

        Going down, each step takes the most recently created child. Works for any
        message, so a search hit in another version can be brought on screen too.
        """
        with self._db.transaction() as conn:
            message = self._require_message(conn, message_id)
            leaf_id = conn.execute(_NEWEST_LEAF_SQL, (message_id,)).fetchone()[0]
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                (leaf_id, message["conversation_id"]),
            )

    def mark_interrupted(self) -> int:
        """At start-up: replies left 'streaming' by a process that has ended were cut off.

        A reply another Hearth (the window, the command line) is writing right now keeps
        streaming: its writer's lease is still held. A reply with no recorded writer counts
        as cut off. Returns how many messages changed.
        """
        folder = writers_folder(self._db.path)
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, writer FROM messages WHERE status = 'streaming'"
            ).fetchall()
        # Checked outside any transaction: a lease check touches files, and the write
        # lock should not wait on that.
        verdicts: dict[str | None, bool] = {}
        cut_off: list[int] = []
        for message_id, writer in rows:
            if writer not in verdicts:
                verdicts[writer] = writer_alive(folder, writer)
            if not verdicts[writer]:
                cut_off.append(message_id)
        changed = 0
        now = self._clock()
        with self._db.transaction() as conn:
            for start in range(0, len(cut_off), _IDS_PER_QUERY):
                chunk = cut_off[start : start + _IDS_PER_QUERY]
                # Still 'streaming': a reply that finished meanwhile keeps its status.
                cursor = conn.execute(
                    "UPDATE messages SET status = 'interrupted', updated_at = ? "
                    f"WHERE status = 'streaming' AND id IN ({', '.join('?' * len(chunk))})",
                    (now, *chunk),
                )
                changed += cursor.rowcount
        sweep_stale_leases(folder)
        return changed

    @staticmethod
    def _require_message(conn: sqlite3.Connection, message_id: int) -> sqlite3.Row:
        row = conn.execute(
            "SELECT conversation_id, parent_id, role FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no message {message_id}")
        return row

    # Search ----------------------------------------------------------------------

    def search(
        self, query: str, limit: int = 50, *, highlight: tuple[str, str] = ("«", "»")
    ) -> list[SearchHit]:
        """Messages in conversations not deleted that contain every word of ``query``.

        Tool results are left out: they are data a tool handed the model, not the chat;
        the answer that used them is found instead. Best matches first. Any text is safe
        to pass: words are quoted, never read as FTS5 syntax, and the last word also
        matches as a prefix. Each hit's snippet marks
        the matched words with ``highlight`` (a UI that renders rich text can pass
        characters that cannot occur in text, escape the snippet, then swap them for tags).
        """
        match = build_match_query(query)
        if match is None or limit <= 0:
            return []
        start, end = highlight
        with self._db.read() as conn:
            rows = conn.execute(_SEARCH_SQL, (start, end, _SNIPPET_TOKENS, match, limit)).fetchall()
        return [
            SearchHit(
                conversation_id=row["conversation_id"],
                message_id=row["id"],
                conversation_title=row["title"],
                role=row["role"],
                snippet=row["snippet"],
            )
            for row in rows
        ]
