"""Tool calls and results in the store: kept across a restart, left out of search,
exported with the chat, and added to a database an older Hearth wrote."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.store import ConversationStore, Database, export_json, export_markdown
from app.store.migrations import migrate
from app.store.records import StoredToolCall

CALL = StoredToolCall("call12345", "calculator", {"expression": "37*41"}, '{"name": …}')
BOTCHED = StoredToolCall("call67890", "", None, "{not json", "The tool call is not valid JSON.")


def tool_chat(store: ConversationStore) -> int:
    """user → assistant with two calls → their two results → the answer."""
    conversation = store.create_conversation("Sums", "smol")
    question = store.add_message(conversation.id, None, "user", "What is 37*41?")
    asked = store.add_message(conversation.id, question.id, "assistant", "", model="smol")
    store.update_message(asked.id, tool_calls=[CALL, BOTCHED])
    result = store.add_message(
        conversation.id,
        asked.id,
        "tool",
        "1517 ``` fenced",
        tool_call_id=CALL.id,
        tool_name="calculator",
        tool_outcome="ok",
        tool_images=["/data/python/chat-1/chart.png"],
    )
    error = store.add_message(
        conversation.id,
        result.id,
        "tool",
        "The tool call is not valid JSON.",
        tool_call_id=BOTCHED.id,
        tool_name="",
        tool_outcome="invalid",
    )
    store.add_message(conversation.id, error.id, "assistant", "It is 1517.", model="smol")
    return conversation.id


def test_calls_and_results_come_back_after_a_restart(db_path: Path) -> None:
    database = Database.open(db_path)
    conversation = tool_chat(ConversationStore(database))
    database.close()

    reopened = Database.open(db_path)
    try:
        path = ConversationStore(reopened).active_path(conversation)
    finally:
        reopened.close()
    assert [m.role for m in path] == ["user", "assistant", "tool", "tool", "assistant"]
    assert path[1].tool_calls == (CALL, BOTCHED)
    result = path[2]
    assert (result.tool_call_id, result.tool_name, result.tool_outcome) == (
        CALL.id,
        "calculator",
        "ok",
    )
    assert result.tool_images == ("/data/python/chat-1/chart.png",)
    assert path[3].tool_outcome == "invalid" and path[3].tool_images == ()
    assert path[0].tool_calls == () and path[0].tool_outcome is None


def test_an_unknown_outcome_is_refused(store: ConversationStore) -> None:
    conversation = store.create_conversation("x", None)
    with pytest.raises(ValueError, match="tool outcome"):
        store.add_message(conversation.id, None, "tool", "x", tool_outcome="maybe")


def test_search_finds_the_answer_not_the_tool_result(store: ConversationStore) -> None:
    tool_chat(store)
    assert [hit.role for hit in store.search("1517")] == ["assistant"]


def test_markdown_shows_each_call_and_its_result_as_data(store: ConversationStore) -> None:
    text = export_markdown(store, tool_chat(store))
    assert '**Tool call: calculator**\n\n```json\n{\n  "expression": "37*41"\n}\n```' in text
    assert "**Tool call: (unreadable)**\n\n```\n{not json\n```" in text
    # The result holds a fence of its own: the block's fence is longer.
    assert "### Tool result (calculator)\n\n````\n1517 ``` fenced\n````" in text
    assert "*Picture: /data/python/chat-1/chart.png*" in text
    assert "*(the call could not be read)*" in text
    assert text.index("Tool call: calculator") < text.index("Tool result") < text.index("1517.")


def test_json_holds_the_calls_and_results(store: ConversationStore) -> None:
    document = json.loads(export_json(store, tool_chat(store)))
    assert document["format_version"] == 2
    asked, result = document["messages"][1:3]
    assert asked["tool_calls"][0] == {
        "id": CALL.id,
        "name": "calculator",
        "arguments": {"expression": "37*41"},
        "raw": CALL.raw,
        "error": None,
    }
    assert result["role"] == "tool" and result["tool_call_id"] == CALL.id


def test_an_older_database_gains_the_tool_columns(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        migrate(conn, target=6)
        conn.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Old', 1, 1)"
        )
        conn.execute(
            "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)"
            " VALUES (1, 1, 'user', 'hello', 1, 1)"
        )
        conn.execute("UPDATE conversations SET current_leaf_id = 1")
    finally:
        conn.close()

    database = Database.open(db_path)
    try:
        store = ConversationStore(database)
        (old,) = store.active_path(1)
        assert (old.content, old.tool_calls, old.tool_name) == ("hello", (), None)
        assert store.get_conversation(1).tools is None
        store.set_tools(1, ["calculator", "python"])
        assert store.get_conversation(1).tools == "calculator,python"
    finally:
        database.close()
