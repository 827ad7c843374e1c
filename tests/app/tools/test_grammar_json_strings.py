"""The call grammars admit only valid JSON strings, and a schema limit too long to spell
out (the Python tool's 100,000-character code) neither explodes the grammar nor leaves it
unreadable; lazy grammars wait for each family's opener. Checked by llama.cpp itself with
the starter model's vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from app.tools.builtin import builtin_tools
from app.tools.grammar import call_grammar, spec_tools, trigger_grammar
from app.tools.python_sandbox import PythonTool
from tests.support.grammar_admits import admits


def python_call(code: str) -> str:
    return f'<tool_call>\n{{"name": "python", "arguments": {{"code": "{code}"}}}}\n</tool_call>'


def test_the_python_tools_code_is_a_json_string_of_any_length(vocab_model: Any):
    grammar = call_grammar([PythonTool()], "hermes")
    assert len(grammar) < 2_000  # not one rule per allowed character
    assert admits(vocab_model, grammar, python_call("print(1)\\nprint(2)"))
    assert admits(vocab_model, grammar, python_call("x = 1; " * 60))  # past 256 characters
    # A raw newline or tab inside a JSON string is not JSON.
    assert not admits(vocab_model, grammar, python_call("print(1)\nprint(2)"))
    assert not admits(vocab_model, grammar, python_call("\tprint(1)"))


def test_short_limits_are_kept(vocab_model: Any):
    specs = [
        {
            "type": "function",
            "function": {
                "name": "tag",
                "parameters": {
                    "type": "object",
                    "properties": {"label": {"type": "string", "maxLength": 5}},
                    "required": ["label"],
                },
            },
        }
    ]
    grammar = call_grammar(spec_tools(specs), "hermes")

    def call(label: str) -> str:
        return f'<tool_call>\n{{"name": "tag", "arguments": {{"label": "{label}"}}}}\n</tool_call>'

    assert admits(vocab_model, grammar, call("short"))
    assert not admits(vocab_model, grammar, call("longer"))


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("hermes", '<tool_call>\n{"name": "clock", "arguments": {}}\n</tool_call>'),
        ("mistral", '[TOOL_CALLS] [{"name": "clock", "arguments": {}}]'),
        ("llama3", '{"name": "clock", "parameters": {}}'),
        ("llama3", '<|python_tag|>{"name": "clock", "parameters": {}}'),
        ("granite", '<|tool_call|>[{"name": "clock", "arguments": {}}]'),
        ("phi4-mini", 'functools[{"name": "clock", "arguments": {}}]'),
    ],
)
def test_each_lazy_grammar_admits_a_call_from_its_opener(vocab_model: Any, fmt: Any, text: str):
    lazy = trigger_grammar(builtin_tools(), fmt)
    assert lazy is not None
    assert admits(vocab_model, lazy.source, text)
    assert not admits(vocab_model, lazy.source, "Hello" + text)


def test_command_r_calls_are_read_not_constrained():
    assert trigger_grammar(builtin_tools(), "command-r") is None
