"""Messages: committed at once, updated field by field, and marked after a crash."""

from __future__ import annotations

import pytest

from app.store import ConversationStore, Database, NotFoundError


def test_added_message_is_on_disk_for_a_fresh_database_object(
    db: Database, store: ConversationStore
) -> None:
    conversation = store.create_conversation("chat", "m")
    message = store.add_message(conversation.id, None, "user", "Is it committed?")

    # A second connection sees only what was committed, like Hearth after a restart.
    other = Database.open(db.path)
    try:
        seen_while_open = ConversationStore(other).get_message(message.id)
    finally:
        other.close()
    db.close()
    reopened = Database.open(db.path)
    try:
        seen_after_close = ConversationStore(reopened).get_message(message.id)
    finally:
        reopened.close()

    assert seen_while_open == message
    assert seen_after_close == message


def test_added_message_becomes_the_leaf_and_bumps_the_conversation(
    store: ConversationStore,
) -> None:
    conversation = store.create_conversation("chat", "m")

    question = store.add_message(conversation.id, None, "user", "Hello?")
    answer = store.add_message(
        conversation.id, question.id, "assistant", "", model="m", status="streaming"
    )

    after = store.get_conversation(conversation.id)
    assert after.current_leaf_id == answer.id
    assert after.updated_at == answer.created_at > conversation.updated_at
    assert store.get_message(answer.id) == answer
    assert answer.parent_id == question.id
    assert answer.status == "streaming"
    assert answer.model == "m"


def test_update_message_changes_only_the_fields_given(store: ConversationStore) -> None:
    conversation = store.create_conversation("chat", "m")
    question = store.add_message(conversation.id, None, "user", "Count to three")
    reply = store.add_message(conversation.id, question.id, "assistant", "", status="streaming")

    store.update_message(reply.id, content="One, two")
    store.update_message(
        reply.id,
        status="complete",
        prompt_tokens=12,
        completion_tokens=7,
        ttft_ms=85.5,
        tokens_per_s=31.25,
    )
    store.update_message(reply.id, content="One, two, three.")

    stored = store.get_message(reply.id)
    assert stored.content == "One, two, three."
    assert stored.status == "complete"
    assert (stored.prompt_tokens, stored.completion_tokens) == (12, 7)
    assert (stored.ttft_ms, stored.tokens_per_s) == (85.5, 31.25)
    assert stored.error is None
    assert stored.updated_at > reply.updated_at
    assert store.get_message(question.id) == question


def test_update_message_can_set_and_clear_an_error(store: ConversationStore) -> None:
    conversation = store.create_conversation("chat", "m")
    reply = store.add_message(conversation.id, None, "assistant", "partial", status="streaming")

    store.update_message(reply.id, status="error", error="model process ended")
    failed = store.get_message(reply.id)
    store.update_message(reply.id, error=None)

    assert (failed.status, failed.error) == ("error", "model process ended")
    assert store.get_message(reply.id).error is None
    assert store.get_message(reply.id).content == "partial"


def test_update_message_bumps_the_conversation(store: ConversationStore) -> None:
    older = store.create_conversation("older", None)
    reply = store.add_message(older.id, None, "assistant", "", status="streaming")
    newer = store.create_conversation("newer", None)

    store.update_message(reply.id, content="still streaming")

    assert [c.id for c in store.list_conversations()] == [older.id, newer.id]


def test_bad_role_status_or_parent_is_refused(store: ConversationStore) -> None:
    conversation = store.create_conversation("chat", None)
    elsewhere = store.create_conversation("elsewhere", None)
    foreign = store.add_message(elsewhere.id, None, "user", "not yours")

    with pytest.raises(ValueError, match="role"):
        store.add_message(conversation.id, None, "robot", "x")
    with pytest.raises(ValueError, match="status"):
        store.add_message(conversation.id, None, "user", "x", status="done")
    with pytest.raises(NotFoundError):
        store.add_message(conversation.id, foreign.id, "assistant", "x")
    with pytest.raises(ValueError, match="status"):
        store.update_message(foreign.id, status="finished")
    assert store.list_messages(conversation.id) == []


def test_messages_cannot_be_added_to_a_deleted_conversation(store: ConversationStore) -> None:
    conversation = store.create_conversation("chat", None)
    store.delete_conversation(conversation.id)

    with pytest.raises(ValueError, match="deleted"):
        store.add_message(conversation.id, None, "user", "x")


def test_mark_interrupted_flags_only_streaming_replies(store: ConversationStore) -> None:
    first = store.create_conversation("first", None)
    second = store.create_conversation("second", None)
    cut_a = store.add_message(first.id, None, "assistant", "half an ans", status="streaming")
    cut_b = store.add_message(second.id, None, "assistant", "half", status="streaming")
    done = store.add_message(second.id, cut_b.id, "user", "fine", status="complete")
    stopped = store.add_message(second.id, done.id, "assistant", "st", status="stopped")

    assert store.mark_interrupted() == 2

    assert store.get_message(cut_a.id).status == "interrupted"
    assert store.get_message(cut_a.id).content == "half an ans"
    assert store.get_message(cut_b.id).status == "interrupted"
    assert store.get_message(done.id).status == "complete"
    assert store.get_message(stopped.id).status == "stopped"
    assert store.mark_interrupted() == 0
