"""The oldest turns leave the prompt first; instructions and the newest message never do."""

import pytest

from app.engine.context_budget import ContextOverflowError, fit_to_context


def words(messages):
    return sum(len(m["content"].split()) + 1 for m in messages)


def conversation(turns: int):
    messages = [{"role": "system", "content": "be brief"}]
    for turn in range(turns):
        messages.append({"role": "user", "content": f"question {turn} " + "word " * 8})
        messages.append({"role": "assistant", "content": f"answer {turn} " + "word " * 8})
    messages.append({"role": "user", "content": "the newest question"})
    return messages


def test_everything_is_kept_when_it_fits():
    messages = conversation(2)
    result = fit_to_context(messages, words, 1000)
    assert result.messages == messages and result.dropped == 0


def test_the_oldest_turns_are_left_out_first():
    messages = conversation(10)
    result = fit_to_context(messages, words, 60)
    assert result.dropped > 0
    assert result.messages[0] == messages[0]  # the instructions
    assert result.messages[-1] == messages[-1]  # the newest message
    assert result.messages[1]["role"] == "user"  # still starts on a user turn
    assert result.messages[1:] == messages[len(messages) - len(result.messages) + 1 :]
    assert result.prompt_tokens == words(result.messages) <= 60
    assert len(messages) - len(result.messages) == result.dropped


def test_as_much_history_as_fits_is_kept():
    messages = conversation(10)
    result = fit_to_context(messages, words, 60)
    one_more = [messages[0], *messages[len(messages) - len(result.messages) - 1 :]]
    assert words(one_more) > 60


def test_a_newest_message_too_long_for_the_context_is_a_clear_error():
    messages = [{"role": "user", "content": "word " * 500}]
    with pytest.raises(ContextOverflowError, match="context"):
        fit_to_context(messages, words, 100)
