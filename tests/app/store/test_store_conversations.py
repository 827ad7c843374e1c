"""Conversations: create, list, rename, model, delete to the bin, restore, purge."""

from __future__ import annotations

import pytest

from app.store import ConversationStore, Database, NotFoundError


def test_create_then_get_returns_the_same_conversation(store: ConversationStore) -> None:
    created = store.create_conversation("Trip plans", "llama-3-8b")

    fetched = store.get_conversation(created.id)

    assert fetched == created
    assert fetched.title == "Trip plans"
    assert fetched.model == "llama-3-8b"
    assert fetched.current_leaf_id is None
    assert fetched.deleted_at is None


def test_list_puts_the_most_recently_updated_first(store: ConversationStore) -> None:
    first = store.create_conversation("first", None)
    second = store.create_conversation("second", None)
    third = store.create_conversation("third", None)
    assert [c.id for c in store.list_conversations()] == [third.id, second.id, first.id]

    store.add_message(first.id, None, "user", "bump")

    assert [c.id for c in store.list_conversations()] == [first.id, third.id, second.id]


def test_rename_and_set_model_are_stored(store: ConversationStore) -> None:
    conversation = store.create_conversation("Untitled", "model-a")

    store.rename_conversation(conversation.id, "Sourdough")
    store.set_conversation_model(conversation.id, "model-b")
    renamed = store.get_conversation(conversation.id)
    store.set_conversation_model(conversation.id, None)

    assert renamed.title == "Sourdough"
    assert renamed.model == "model-b"
    assert store.get_conversation(conversation.id).model is None


def test_delete_hides_the_conversation_and_restore_brings_it_back(
    store: ConversationStore,
) -> None:
    kept = store.create_conversation("kept", None)
    binned = store.create_conversation("binned", None)
    store.add_message(binned.id, None, "user", "still here after undo")

    store.delete_conversation(binned.id)

    assert [c.id for c in store.list_conversations()] == [kept.id]
    assert [c.id for c in store.list_deleted_conversations()] == [binned.id]
    assert store.get_conversation(binned.id).deleted_at is not None

    store.restore_conversation(binned.id)

    assert {c.id for c in store.list_conversations()} == {kept.id, binned.id}
    assert store.list_deleted_conversations() == []
    assert [m.content for m in store.active_path(binned.id)] == ["still here after undo"]


def test_purge_removes_only_deleted_conversations_and_their_messages(
    store: ConversationStore,
) -> None:
    kept = store.create_conversation("kept", None)
    kept_message = store.add_message(kept.id, None, "user", "keep me")
    gone = store.create_conversation("gone", None)
    gone_message = store.add_message(gone.id, None, "user", "forget me")
    store.delete_conversation(gone.id)

    assert store.purge_deleted() == 1

    with pytest.raises(NotFoundError):
        store.get_conversation(gone.id)
    with pytest.raises(NotFoundError):
        store.get_message(gone_message.id)
    assert store.get_message(kept_message.id).content == "keep me"
    assert store.purge_deleted() == 0


def test_purge_can_keep_recent_deletions(store: ConversationStore) -> None:
    old = store.create_conversation("old", None)
    recent = store.create_conversation("recent", None)
    store.delete_conversation(old.id)
    cutoff = store.get_conversation(old.id).deleted_at
    assert cutoff is not None
    store.delete_conversation(recent.id)

    assert store.purge_deleted(deleted_before=cutoff + 0.5) == 1

    assert [c.id for c in store.list_deleted_conversations()] == [recent.id]


def test_purge_handles_a_very_long_conversation(store: ConversationStore) -> None:
    # A deep parent chain must go in one statement, not one nested cascade per message.
    conversation = store.create_conversation("long", None)
    parent = None
    for number in range(1500):
        role = "user" if number % 2 == 0 else "assistant"
        parent = store.add_message(
            conversation.id, parent.id if parent else None, role, f"m{number}"
        )
    store.delete_conversation(conversation.id)

    assert store.purge_deleted() == 1

    assert parent is not None
    with pytest.raises(NotFoundError):
        store.get_message(parent.id)


def test_unknown_ids_raise_not_found(store: ConversationStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_conversation(404)
    with pytest.raises(NotFoundError):
        store.rename_conversation(404, "x")
    with pytest.raises(NotFoundError):
        store.delete_conversation(404)
    with pytest.raises(NotFoundError):
        store.active_path(404)
    with pytest.raises(NotFoundError):
        store.get_message(404)
    with pytest.raises(NotFoundError):
        store.update_message(404, content="x")
    with pytest.raises(NotFoundError):
        store.versions(404)
    with pytest.raises(NotFoundError):
        store.select_version(404)


def test_conversations_survive_reopening(db: Database, store: ConversationStore) -> None:
    conversation = store.create_conversation("persisted", "m")
    store.rename_conversation(conversation.id, "renamed")
    db.close()

    reopened = Database.open(db.path)
    try:
        titles = [c.title for c in ConversationStore(reopened).list_conversations()]
    finally:
        reopened.close()

    assert titles == ["renamed"]
