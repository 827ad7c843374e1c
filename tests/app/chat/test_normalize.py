"""A conversation is put into a shape every template accepts, without losing text."""

from __future__ import annotations

import copy
from typing import Any

from app.chat.normalize import normalize_messages


def test_a_stopped_empty_reply_leaves_one_user_turn_not_two():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Tell me a story."},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "A short one, please."},
    ]
    assert normalize_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Tell me a story.\n\nA short one, please."},
    ]


def test_an_assistant_turn_with_only_thinking_counts_as_empty():
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": " ", "reasoning_content": "The user greets me…"},
        {"role": "user", "content": "Hello?"},
    ]
    assert normalize_messages(messages) == [{"role": "user", "content": "Hi\n\nHello?"}]


def test_consecutive_replies_merge_and_keep_the_later_thinking():
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello.", "reasoning_content": "first"},
        {"role": "assistant", "content": "How can I help?", "reasoning_content": "second"},
        {"role": "assistant", "content": "Anything at all."},
    ]
    assert normalize_messages(messages) == [
        {"role": "user", "content": "Hi"},
        {
            "role": "assistant",
            "content": "Hello.\n\nHow can I help?\n\nAnything at all.",
            "reasoning_content": "second",
        },
    ]


def test_empty_instructions_are_dropped_and_real_ones_stay_first():
    assert normalize_messages(
        [{"role": "system", "content": "  "}, {"role": "user", "content": "Hi"}]
    ) == [{"role": "user", "content": "Hi"}]
    assert normalize_messages(
        [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}]
    ) == [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}]


def test_text_is_kept_exactly_as_written():
    messages = [{"role": "user", "content": "  indented\ncode  "}]
    assert normalize_messages(messages) == messages


def test_tool_results_are_never_merged_and_tool_calls_are_not_empty():
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather in Oslo and Rome?"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": "weather"}]},
        {"role": "tool", "content": "Oslo: 3 °C"},
        {"role": "tool", "content": "Rome: 17 °C"},
    ]
    assert normalize_messages(messages) == messages


def test_the_input_is_never_changed():
    messages = [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "", "reasoning_content": "hm"},
    ]
    before = copy.deepcopy(messages)
    result = normalize_messages(messages)
    assert messages == before
    result[0]["content"] = "changed"
    assert messages == before


def test_an_empty_conversation_stays_empty():
    assert normalize_messages([]) == []
