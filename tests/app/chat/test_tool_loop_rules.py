"""The loop's small rules: when a turn's context holds untrusted content, and the
tools' view the "must call a tool" grammar is built from."""

from __future__ import annotations

from app.chat.tool_loop import grammar_tools, untrusted_in_turn
from app.store.records import Message
from app.tools.grammar import call_grammar
from app.tools.python_sandbox import MAX_CODE_CHARACTERS, PythonTool
from tests.support.messages import stored_message


def message(role: str, tool_name: str | None = None, outcome: str | None = None) -> Message:
    return stored_message(role=role, content="x", tool_name=tool_name, tool_outcome=outcome)


def test_a_result_read_in_this_turn_is_untrusted_content():
    fetched = [message("user"), message("assistant"), message("tool", "web__fetch", "ok")]
    assert untrusted_in_turn(fetched)
    failed = [message("user"), message("assistant"), message("tool", "web__fetch", "error")]
    assert untrusted_in_turn(failed)  # an error text can come from the server too


def test_hearths_own_notes_and_own_output_tools_are_not():
    declined = [message("user"), message("assistant"), message("tool", "web__fetch", "declined")]
    assert not untrusted_in_turn(declined)
    summed = [message("user"), message("assistant"), message("tool", "calculator", "ok")]
    assert not untrusted_in_turn(summed, ["calculator", "clock"])
    assert untrusted_in_turn(summed)  # unless the caller says the tool is its own


def test_a_result_from_before_the_users_last_message_is_not_this_turns():
    history = [
        message("user"),
        message("assistant"),
        message("tool", "web__fetch", "ok"),
        message("assistant"),
        message("user"),
    ]
    assert not untrusted_in_turn(history)


def test_the_python_tools_call_grammar_stays_small():
    """Its code may be 100,000 characters: spelt out in a grammar, that limit made
    megabytes of rules that crashed llama.cpp's grammar parser."""
    tool = PythonTool()
    assert tool.parameters["properties"]["code"]["maxLength"] == MAX_CODE_CHARACTERS
    grammar = call_grammar(grammar_tools([tool]), "hermes")
    assert len(grammar) < 5_000
    (view,) = grammar_tools([tool])
    assert view.name == "python" and "maxLength" not in view.parameters["properties"]["code"]
