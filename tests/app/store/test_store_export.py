"""Export to Markdown (the visible chat) and JSON (everything, all versions)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from app.store import ConversationStore, export_json, export_markdown
from app.store.export import JSON_FORMAT, JSON_FORMAT_VERSION


@pytest.fixture
def conversation_id(store: ConversationStore) -> int:
    conversation = store.create_conversation("Tea & *emphasis*", "phi-3-mini")
    question = store.add_message(conversation.id, None, "user", "Green or black tea?")
    store.add_message(conversation.id, question.id, "assistant", "OLD ANSWER", model="phi-3-mini")
    answer = store.add_message(
        conversation.id, question.id, "assistant", "Green, brewed **cooler**.", model="phi-3-mini"
    )
    store.update_message(
        answer.id, prompt_tokens=20, completion_tokens=6, ttft_ms=40.0, tokens_per_s=55.5
    )
    follow_up = store.add_message(conversation.id, answer.id, "user", "How long?")
    stopped = store.add_message(
        conversation.id, follow_up.id, "assistant", "Two to thr", model="phi-3-mini"
    )
    store.update_message(stopped.id, status="stopped")
    return conversation.id


def test_markdown_has_title_model_roles_and_the_visible_path(
    store: ConversationStore, conversation_id: int
) -> None:
    text = export_markdown(store, conversation_id)

    assert text.startswith("# Tea & *emphasis*\n")
    assert "phi-3-mini" in text
    positions = [
        text.index("### You\n\nGreen or black tea?"),
        text.index("### Assistant (phi-3-mini)\n\nGreen, brewed **cooler**."),
        text.index("### You\n\nHow long?"),
        text.index("### Assistant (phi-3-mini)\n\nTwo to thr"),
    ]
    assert positions == sorted(positions)
    assert "OLD ANSWER" not in text
    assert "(reply stopped)" in text


def test_json_holds_every_version_with_all_fields(
    store: ConversationStore, conversation_id: int
) -> None:
    document = json.loads(export_json(store, conversation_id))

    assert document["format"] == JSON_FORMAT
    assert document["format_version"] == JSON_FORMAT_VERSION
    assert document["conversation"] == asdict(store.get_conversation(conversation_id))
    # (Through JSON: the record's tuples come back as lists.)
    stored = [asdict(m) for m in store.list_messages(conversation_id)]
    assert document["messages"] == json.loads(json.dumps(stored))
    assert len(document["messages"]) == 5
    assert "OLD ANSWER" in [m["content"] for m in document["messages"]]
    assert document["active_path"] == [m.id for m in store.active_path(conversation_id)]
    by_id = {m["id"]: m for m in document["messages"]}
    answer = by_id[document["active_path"][1]]
    assert (answer["prompt_tokens"], answer["tokens_per_s"]) == (20, 55.5)
    assert by_id[document["active_path"][-1]]["status"] == "stopped"
