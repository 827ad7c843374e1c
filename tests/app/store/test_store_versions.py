"""The version tree: regenerated replies and edited questions kept side by side."""

from __future__ import annotations

from app.store import ConversationStore


def _contents(store: ConversationStore, conversation_id: int) -> list[str]:
    return [message.content for message in store.active_path(conversation_id)]


def test_regenerating_twice_keeps_three_versions(store: ConversationStore) -> None:
    conversation = store.create_conversation("poem", "m")
    question = store.add_message(conversation.id, None, "user", "A poem about tea")
    first = store.add_message(conversation.id, question.id, "assistant", "Version one")
    second = store.add_message(conversation.id, question.id, "assistant", "Version two")
    third = store.add_message(conversation.id, question.id, "assistant", "Version three")

    assert [m.id for m in store.versions(first.id)] == [first.id, second.id, third.id]
    assert store.versions(third.id) == store.versions(first.id)
    assert store.versions(question.id) == [question]
    assert _contents(store, conversation.id) == ["A poem about tea", "Version three"]

    store.select_version(first.id)

    assert store.get_conversation(conversation.id).current_leaf_id == first.id
    assert _contents(store, conversation.id) == ["A poem about tea", "Version one"]

    store.select_version(second.id)

    assert _contents(store, conversation.id) == ["A poem about tea", "Version two"]


def test_switching_back_follows_the_newest_children_down(store: ConversationStore) -> None:
    conversation = store.create_conversation("branches", "m")
    question = store.add_message(conversation.id, None, "user", "Q1")
    old_answer = store.add_message(conversation.id, question.id, "assistant", "A1 old")
    follow_up = store.add_message(conversation.id, old_answer.id, "user", "Q2")
    store.add_message(conversation.id, follow_up.id, "assistant", "A2 first")
    store.add_message(conversation.id, follow_up.id, "assistant", "A2 second")
    new_answer = store.add_message(conversation.id, question.id, "assistant", "A1 new")
    assert _contents(store, conversation.id) == ["Q1", "A1 new"]

    store.select_version(old_answer.id)

    assert _contents(store, conversation.id) == ["Q1", "A1 old", "Q2", "A2 second"]

    store.select_version(new_answer.id)

    assert _contents(store, conversation.id) == ["Q1", "A1 new"]


def test_editing_a_question_adds_a_user_version(store: ConversationStore) -> None:
    conversation = store.create_conversation("edit", "m")
    first_question = store.add_message(conversation.id, None, "user", "Capital of Austrlia?")
    store.add_message(conversation.id, first_question.id, "assistant", "Did you mean Australia?")
    fixed_question = store.add_message(conversation.id, None, "user", "Capital of Australia?")
    store.add_message(conversation.id, fixed_question.id, "assistant", "Canberra.")

    assert [m.id for m in store.versions(fixed_question.id)] == [
        first_question.id,
        fixed_question.id,
    ]
    assert _contents(store, conversation.id) == ["Capital of Australia?", "Canberra."]

    store.select_version(first_question.id)

    assert _contents(store, conversation.id) == [
        "Capital of Austrlia?",
        "Did you mean Australia?",
    ]


def test_versions_are_siblings_of_the_same_role_only(store: ConversationStore) -> None:
    conversation = store.create_conversation("roles", "m")
    system = store.add_message(conversation.id, None, "system", "Be brief.")
    user = store.add_message(conversation.id, None, "user", "Hi")

    assert store.versions(user.id) == [user]
    assert store.versions(system.id) == [system]


def test_selecting_a_message_affects_only_its_conversation(store: ConversationStore) -> None:
    one = store.create_conversation("one", None)
    two = store.create_conversation("two", None)
    one_question = store.add_message(one.id, None, "user", "one?")
    store.add_message(two.id, None, "user", "two?")
    two_leaf = store.get_conversation(two.id).current_leaf_id
    store.add_message(one.id, one_question.id, "assistant", "one!")

    store.select_version(one_question.id)

    assert store.get_conversation(one.id).current_leaf_id != one_question.id  # has a child
    assert _contents(store, one.id) == ["one?", "one!"]
    assert store.get_conversation(two.id).current_leaf_id == two_leaf


def test_list_messages_returns_every_version(store: ConversationStore) -> None:
    conversation = store.create_conversation("all", None)
    question = store.add_message(conversation.id, None, "user", "Q")
    store.add_message(conversation.id, question.id, "assistant", "A1")
    store.add_message(conversation.id, question.id, "assistant", "A2")

    assert [m.content for m in store.list_messages(conversation.id)] == ["Q", "A1", "A2"]
    assert _contents(store, conversation.id) == ["Q", "A2"]


def test_an_empty_conversation_has_an_empty_path(store: ConversationStore) -> None:
    conversation = store.create_conversation("empty", None)

    assert store.active_path(conversation.id) == []


def test_version_ids_for_many_messages_agree_with_versions(store: ConversationStore) -> None:
    """One query for a whole path gives what asking message by message gives."""
    conversation = store.create_conversation("tree", "m")
    system = store.add_message(conversation.id, None, "system", "Be brief.")
    first_q = store.add_message(conversation.id, None, "user", "Hi")
    edited_q = store.add_message(conversation.id, None, "user", "Hello")
    reply = store.add_message(conversation.id, edited_q.id, "assistant", "One")
    again = store.add_message(conversation.id, edited_q.id, "assistant", "Two")
    other = store.create_conversation("other", "m")
    store.add_message(other.id, None, "user", "Elsewhere")  # a root in another chat
    every = [system, first_q, edited_q, reply, again]

    found = store.version_ids([m.id for m in every])

    assert found == {m.id: [v.id for v in store.versions(m.id)] for m in every}
    assert found[first_q.id] == [first_q.id, edited_q.id]
    assert found[again.id] == [reply.id, again.id]
    assert found[system.id] == [system.id]
    assert store.version_ids([]) == {}
