"""The registry: tools by name, their specs for templates, and calls run with every
failure turned into an error result for the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from app.engine.reply_parser import ReplyParser
from app.engine.tool_calls import ToolCall
from app.tools.base import Tool, ToolResult
from app.tools.builtin import builtin_tools
from app.tools.registry import ToolRegistry


class Echo(Tool):
    """A tool written by the test: repeats its text, or fails when told to."""

    name = "echo"
    description = "Repeats the text."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "times": {"type": "integer"},
            "mode": {"type": "string", "enum": ["plain", "loud"]},
        },
        "required": ["text"],
    }

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        if arguments["text"] == "fail":
            raise RuntimeError("the echo broke")
        text = arguments["text"] * arguments.get("times", 1)
        return ToolResult(text.upper() if arguments.get("mode") == "loud" else text)


def registry() -> ToolRegistry:
    return ToolRegistry([*builtin_tools(), Echo()])


def test_specs_are_what_templates_read() -> None:
    specs = registry().specs()
    assert [spec["function"]["name"] for spec in specs] == ["calculator", "clock", "echo"]
    calculator = specs[0]
    assert calculator["type"] == "function"
    assert calculator["function"]["parameters"]["required"] == ["expression"]
    assert "arithmetic" in calculator["function"]["description"]
    assert [spec["function"]["name"] for spec in registry().specs({"echo"})] == ["echo"]


def test_a_new_tool_needs_approval_unless_it_says_otherwise() -> None:
    assert Echo().needs_approval
    assert [tool.needs_approval for tool in builtin_tools()] == [False, False]


def test_names_are_unique_and_plain() -> None:
    tools = registry()
    with pytest.raises(ValueError, match="already"):
        tools.add(Echo())

    class Badly(Echo):
        name = "rm -rf"

    with pytest.raises(ValueError, match="not a tool name"):
        tools.add(Badly())
    tools.remove("echo")
    assert "echo" not in tools and len(tools) == 2 and tools.names == ["calculator", "clock"]


def test_a_good_call_runs() -> None:
    call = ToolCall("echo", {"text": "ab", "times": 2, "mode": "loud"}, "")
    assert registry().run(call) == ToolResult("ABAB")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (ToolCall("", None, "{", "The tool call is not valid JSON (x)."), "not valid JSON"),
        (ToolCall("shell", {"cmd": "ls"}, ""), "There is no tool named 'shell'"),
        (ToolCall("echo", {}, ""), "Missing required argument(s): text"),
        (ToolCall("echo", {"text": 3}, ""), "text must be of type string"),
        (ToolCall("echo", {"text": "a", "times": True}, ""), "times must be of type integer"),
        (ToolCall("echo", {"text": "a", "times": 1.5}, ""), "times must be of type integer"),
        (ToolCall("echo", {"text": "a", "mode": "quiet"}, ""), "must be one of: 'plain', 'loud'"),
        (ToolCall("echo", {"text": "fail"}, ""), "The tool echo failed: the echo broke"),
        (ToolCall("calculator", {"expression": "1/0"}, ""), "division by zero"),
    ],
)
def test_every_failure_is_an_error_result_for_the_model(call: ToolCall, message: str) -> None:
    result = registry().run(call)
    assert result.is_error
    assert message in result.text


def test_a_reply_with_calls_is_parsed_and_run() -> None:
    parser = ReplyParser(tools_offered=True)
    reply = (
        "I will check both.\n"
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "37*41"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "echo", "arguments": {"text": "hi", "times": 3}}\n</tool_call>\n'
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "37*41"}\n</tool_call>'
    )
    pieces = parser.feed(reply) + parser.finish()
    results = [registry().run(piece.call) for piece in pieces if piece.call is not None]
    assert results[:2] == [ToolResult("1517"), ToolResult("hihihi")]
    assert results[2].is_error and "not valid JSON" in results[2].text
