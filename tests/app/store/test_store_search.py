"""Full-text search over every message, safe for whatever the user types."""

from __future__ import annotations

import pytest

from app.store import ConversationStore


@pytest.fixture
def chat(store: ConversationStore) -> dict[str, int]:
    conversation = store.create_conversation("Baking bread", "m")
    question = store.add_message(conversation.id, None, "user", "How long should sourdough proof?")
    answer = store.add_message(
        conversation.id,
        question.id,
        "assistant",
        "Let the dough rise until doubled, usually overnight in the fridge.",
    )
    return {"conversation": conversation.id, "question": question.id, "answer": answer.id}


def test_finds_words_from_user_and_assistant_messages(
    store: ConversationStore, chat: dict[str, int]
) -> None:
    [user_hit] = store.search("sourdough")
    [assistant_hit] = store.search("overnight")

    assert user_hit.message_id == chat["question"]
    assert user_hit.conversation_id == chat["conversation"]
    assert user_hit.conversation_title == "Baking bread"
    assert user_hit.role == "user"
    assert "«sourdough»" in user_hit.snippet
    assert assistant_hit.message_id == chat["answer"]
    assert assistant_hit.role == "assistant"
    assert "«overnight»" in assistant_hit.snippet


def test_all_words_must_match(store: ConversationStore, chat: dict[str, int]) -> None:
    assert [h.message_id for h in store.search("dough fridge")] == [chat["answer"]]
    assert store.search("dough sourdough") == []


def test_last_word_matches_as_a_prefix_while_typing(
    store: ConversationStore, chat: dict[str, int]
) -> None:
    assert [h.message_id for h in store.search("sourd")] == [chat["question"]]
    assert store.search("sourd ") == []  # a space ends the word


def test_follows_edits_made_with_update_message(
    store: ConversationStore, chat: dict[str, int]
) -> None:
    store.update_message(chat["answer"], content="Bake it at a high temperature.")

    assert store.search("overnight") == []
    assert [h.message_id for h in store.search("temperature")] == [chat["answer"]]


def test_ignores_case_and_accents(store: ConversationStore) -> None:
    conversation = store.create_conversation("Paris", None)
    message = store.add_message(conversation.id, None, "user", "Le Café de Flore")

    assert [h.message_id for h in store.search("CAFE")] == [message.id]


@pytest.mark.parametrize(
    "query",
    [
        '"foo',
        "AND OR (",
        "NEAR(",
        "NOT",
        "a AND",
        ")(",
        '""',
        "*",
        "^start",
        "-minus",
        "content:sourdough",
        "foo\"bar'baz",
        "{curly} [square]",
        "\\",
        "🍞 bread",
    ],
)
def test_awkward_input_is_searched_as_words(
    store: ConversationStore, chat: dict[str, int], query: str
) -> None:
    hits = store.search(query)

    assert all(hit.conversation_id == chat["conversation"] for hit in hits)


def test_quotes_and_operators_are_found_as_text(store: ConversationStore) -> None:
    conversation = store.create_conversation("syntax", None)
    message = store.add_message(conversation.id, None, "user", 'he said "foo AND OR bar')

    assert [h.message_id for h in store.search('"foo')] == [message.id]
    assert [h.message_id for h in store.search("AND OR")] == [message.id]
    assert [h.message_id for h in store.search("content:foo")] == []


def test_nothing_to_search_for_gives_no_hits(
    store: ConversationStore, chat: dict[str, int]
) -> None:
    assert store.search("") == []
    assert store.search("   ") == []
    assert store.search("((( )))") == []


def test_deleted_conversations_are_not_searched(
    store: ConversationStore, chat: dict[str, int]
) -> None:
    store.delete_conversation(chat["conversation"])

    assert store.search("sourdough") == []

    store.restore_conversation(chat["conversation"])

    assert len(store.search("sourdough")) == 1


def test_older_versions_are_found_too(store: ConversationStore) -> None:
    conversation = store.create_conversation("versions", None)
    question = store.add_message(conversation.id, None, "user", "Name a colour")
    hidden = store.add_message(conversation.id, question.id, "assistant", "Turquoise")
    store.add_message(conversation.id, question.id, "assistant", "Crimson")

    [hit] = store.search("turquoise")
    store.select_version(hit.message_id)

    assert hit.message_id == hidden.id
    assert store.active_path(conversation.id)[-1].id == hidden.id


def test_limit_and_custom_highlight(store: ConversationStore) -> None:
    conversation = store.create_conversation("many", None)
    parent = None
    for number in range(5):
        parent = store.add_message(
            conversation.id, parent.id if parent else None, "user", f"kettle number {number}"
        )

    hits = store.search("kettle", limit=3, highlight=("<b>", "</b>"))

    assert len(hits) == 3
    assert all("<b>kettle</b>" in hit.snippet for hit in hits)
