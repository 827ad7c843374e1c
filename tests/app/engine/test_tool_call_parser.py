"""Tool calls read from scripted model output, in each family's format, the way the engine
host feeds it: whole, cut anywhere, a character or a byte at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.engine.families import Family, hidden_markers, tool_call_format
from app.engine.reply_parser import Piece, ReplyParser, ThinkingFormat, ToolCall
from tests.support.stream_feeds import FEEDS, Feed

Expected = tuple[str, "dict[str, Any] | None"]  # (tool name, arguments); None: botched

DS_CALLS = "<｜tool▁calls▁begin｜>"
DS_CALLS_END = "<｜tool▁calls▁end｜>"
DS_CALL = "<｜tool▁call▁begin｜>"
DS_CALL_END = "<｜tool▁call▁end｜>"
DS_SEP = "<｜tool▁sep｜>"
DS_END = "<｜end▁of▁sentence｜>"


@dataclass(frozen=True)
class Script:
    name: str
    family: Family
    raw: str  # the model's output as detokenized, special tokens included
    calls: Sequence[Expected] = ()
    answer: str = ""  # what the user should see as the answer
    thinking: str = ""
    order: Sequence[str] = ()  # the kinds in order, runs of one kind joined
    starts_in_thinking: bool = False
    tools_offered: bool = True
    hidden: Sequence[str] = field(default=())

    @property
    def fmt(self) -> ThinkingFormat:
        return "harmony" if self.family == "harmony" else "tags"

    @property
    def markers(self) -> Sequence[str]:
        return self.hidden or hidden_markers(self.family)


CALC = '{"name": "calculator", "arguments": {"expression": "37*41"}}'
CLOCK_TOKYO = '{"name": "clock", "arguments": {"timezone": "Asia/Tokyo"}}'

SCRIPTS = [
    # Hermes / Qwen (ChatML)
    Script(
        "hermes: one call",
        "chatml",
        f"<tool_call>\n{CALC}\n</tool_call><|im_end|>",
        [("calculator", {"expression": "37*41"})],
    ),
    Script(
        "hermes: text, then two calls",
        "chatml",
        f"Let me work that out.\n<tool_call>\n{CALC}\n</tool_call>\n"
        f"<tool_call>\n{CLOCK_TOKYO}\n</tool_call>",
        [("calculator", {"expression": "37*41"}), ("clock", {"timezone": "Asia/Tokyo"})],
        answer="Let me work that out.",
        order=["answer", "tool_call"],
    ),
    Script(
        "hermes: thinking, then a call (Qwen3)",
        "chatml",
        f"<think>\nThe user wants the time in Tokyo.\n</think>\n\n<tool_call>\n{CLOCK_TOKYO}\n"
        "</tool_call><|im_end|>",
        [("clock", {"timezone": "Asia/Tokyo"})],
        thinking="The user wants the time in Tokyo.",
        order=["thinking", "tool_call"],
    ),
    Script(
        "hermes: a call, then more answer",
        "chatml",
        '<tool_call>{"name": "search", "arguments": {"query": "思考 😀"}}</tool_call>\n\n'
        "I will wait for the result.",
        [("search", {"query": "思考 😀"})],
        answer="I will wait for the result.",
        order=["tool_call", "answer"],
    ),
    Script(
        "hermes: arguments written as a JSON string",
        "chatml",
        '<tool_call>{"name": "calculator", "arguments": "{\\"expression\\": \\"1+1\\"}"}'
        "</tool_call>",
        [("calculator", {"expression": "1+1"})],
    ),
    Script(
        "hermes: JSON fenced inside the tags",
        "chatml",
        f"<tool_call>\n```json\n{CLOCK_TOKYO}\n```\n</tool_call>",
        [("clock", {"timezone": "Asia/Tokyo"})],
    ),
    Script(
        "hermes: a call cut off in its closing tag",
        "chatml",
        f"<tool_call>\n{CALC}\n</tool",
        [("calculator", {"expression": "37*41"})],
    ),
    Script(
        "hermes: a call cut off before its closing tag",
        "chatml",
        '<tool_call>\n{"name": "clock", "arguments": {}}\n<|im_end|>',
        [("clock", {})],
    ),
    Script(
        "hermes: botched calls beside a good one",
        "chatml",
        '<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}</tool_call>'
        '<tool_call>{"arguments": {"expression": "2+2"}}</tool_call>'
        '<tool_call>{"name": "calculator", "arguments": [2, 2]}</tool_call>'
        "<tool_call></tool_call>"
        f"<tool_call>{CALC}</tool_call>",
        [
            ("", None),
            ("", None),
            ("calculator", None),
            ("", None),
            ("calculator", {"expression": "37*41"}),
        ],
    ),
    Script(
        "hermes: a stray closing tag is text",
        "chatml",
        "Close it with </tool_call>, like that.",
        answer="Close it with </tool_call>, like that.",
    ),
    Script(
        "hermes: not offered, a call is only text",
        "chatml",
        'Models write <tool_call>{"name": "x"}</tool_call> to call tools.<|im_end|>',
        answer='Models write <tool_call>{"name": "x"}</tool_call> to call tools.',
        tools_offered=False,
    ),
    # Llama 3.x
    Script(
        "llama3: the whole reply is a JSON call",
        "llama3",
        '{"name": "calculator", "parameters": {"expression": "37*41"}}<|eot_id|>',
        [("calculator", {"expression": "37*41"})],
    ),
    Script(
        "llama3: a JSON call with a type, after blank lines",
        "llama3",
        '\n\n{"type": "function", "name": "clock", "parameters": {"timezone": "Europe/Paris"}}',
        [("clock", {"timezone": "Europe/Paris"})],
    ),
    Script(
        "llama3: two JSON calls",
        "llama3",
        '{"name": "calculator", "parameters": {"expression": "1+1"}}; '
        '{"name": "clock", "parameters": {}}<|eot_id|>',
        [("calculator", {"expression": "1+1"}), ("clock", {})],
    ),
    Script(
        "llama3: <|python_tag|> with JSON",
        "llama3",
        '<|python_tag|>{"name": "calculator", "parameters": {"expression": "sqrt(2)"}}<|eom_id|>',
        [("calculator", {"expression": "sqrt(2)"})],
    ),
    Script(
        "llama3: <|python_tag|> built-in tool",
        "llama3",
        '<|python_tag|>brave_search.call(query="weather in Paris")<|eom_id|>',
        [("brave_search", {"query": "weather in Paris"})],
    ),
    Script(
        "llama3: <|python_tag|> code",
        "llama3",
        "<|python_tag|>import math\nprint(math.pi)<|eom_id|>",
        [("code_interpreter", {"code": "import math\nprint(math.pi)"})],
    ),
    Script(
        "llama3: a JSON answer that is not a call",
        "llama3",
        '{"name": "Ada Lovelace", "born": 1815}<|eot_id|>',
        answer='{"name": "Ada Lovelace", "born": 1815}',
    ),
    Script(
        "llama3: an answer that begins with a brace",
        "llama3",
        "{1, 2} is a set; {} is a dict.",
        answer="{1, 2} is a set; {} is a dict.",
    ),
    Script(
        "llama3: a botched JSON call",
        "llama3",
        '{"name": "calculator", "parameters": {"expression": "2+2"}<|eot_id|>',
        [("", None)],
    ),
    # Mistral
    Script(
        "mistral: [TOOL_CALLS] with a list of two",
        "mistral",
        '[TOOL_CALLS][{"name": "calculator", "arguments": {"expression": "6*7"},'
        ' "id": "a1b2c3d4e"}, {"name": "clock", "arguments": {"timezone": "UTC"},'
        ' "id": "f5g6h7i8j"}]</s>',
        [("calculator", {"expression": "6*7"}), ("clock", {"timezone": "UTC"})],
    ),
    Script(
        "mistral: name[ARGS] calls",
        "mistral",
        '[TOOL_CALLS]calculator[ARGS]{"expression": "6*7"}[TOOL_CALLS]clock[ARGS]{}</s>',
        [("calculator", {"expression": "6*7"}), ("clock", {})],
    ),
    Script(
        "mistral: a call with [CALL_ID], after some text",
        "mistral",
        'Checking. [TOOL_CALLS]clock[CALL_ID]Zx9Yw8Vu7[ARGS]{"timezone": "UTC"}',
        [("clock", {"timezone": "UTC"})],
        answer="Checking.",
        order=["answer", "tool_call"],
    ),
    Script(
        "mistral: botched arguments",
        "mistral",
        '[TOOL_CALLS]calculator[ARGS]{"expression": 6*7}</s>',
        [("calculator", None)],
    ),
    # gpt-oss harmony
    Script(
        "harmony: thinking, then a call",
        "harmony",
        "<|channel|>analysis<|message|>Need the time in Tokyo.<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.clock <|constrain|>json"
        '<|message|>{"timezone": "Asia/Tokyo"}<|call|>',
        [("clock", {"timezone": "Asia/Tokyo"})],
        thinking="Need the time in Tokyo.",
        order=["thinking", "tool_call"],
    ),
    Script(
        "harmony: the recipient in the role, <|call|> taken by the stop filter",
        "harmony",
        "<|start|>assistant to=functions.calculator<|channel|>commentary json"
        '<|message|>{"expression": "1/3"}',
        [("calculator", {"expression": "1/3"})],
    ),
    Script(
        "harmony: a preamble, then a call",
        "harmony",
        "<|channel|>commentary<|message|>Checking the time.<|end|>"
        "<|start|>assistant<|channel|>commentary to=functions.clock <|constrain|>json"
        "<|message|>{}<|call|>",
        [("clock", {})],
        answer="Checking the time.",
        order=["answer", "tool_call"],
    ),
    Script(
        "harmony: a botched call",
        "harmony",
        "<|channel|>commentary to=functions.calculator <|constrain|>json"
        '<|message|>{"expression": "2+2"<|call|>',
        [("calculator", None)],
    ),
    Script(
        "harmony: not offered, a call is dropped",
        "harmony",
        "<|channel|>commentary to=functions.clock <|constrain|>json<|message|>{}<|call|>",
        tools_offered=False,
    ),
    # Command-R
    Script(
        "command-r: Action with a fenced JSON list",
        "command-r",
        'Action: ```json\n[\n    {\n        "tool_name": "calculator",\n'
        '        "parameters": {"expression": "37*41"}\n    }\n]\n```<|END_OF_TURN_TOKEN|>',
        [("calculator", {"expression": "37*41"})],
    ),
    Script(
        "command-r: a plan, then two calls",
        "command-r",
        "I will use the calculator and the clock.\nAction:\n```json\n"
        '[{"tool_name": "calculator", "parameters": {"expression": "2**10"}},'
        ' {"tool_name": "clock", "parameters": {}}]\n```',
        [("calculator", {"expression": "2**10"}), ("clock", {})],
        answer="I will use the calculator and the clock.",
        order=["answer", "tool_call"],
    ),
    Script(
        "command-r: <|START_ACTION|> (R7B)",
        "command-r",
        '<|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "clock",'
        ' "parameters": {"timezone": "UTC"}}\n]<|END_ACTION|>',
        [("clock", {"timezone": "UTC"})],
    ),
    Script(
        "command-r: a code fence in an answer stays",
        "command-r",
        "Here:\n```python\nprint(1)\n```\nDone.",
        answer="Here:\n```python\nprint(1)\n```\nDone.",
    ),
    # Granite
    Script(
        "granite: <|tool_call|> with two calls",
        "granite",
        '<|tool_call|>[{"name": "calculator", "arguments": {"expression": "2^8"}},'
        ' {"name": "clock", "arguments": {}}]<|end_of_text|>',
        [("calculator", {"expression": "2^8"}), ("clock", {})],
    ),
    Script(
        "granite: a botched call",
        "granite",
        '<|tool_call|>[{"name": "calculator", "arguments": {"expression": "2^8"}]',
        [("", None)],
    ),
    # Phi-4-mini
    Script(
        "phi4-mini: functools",
        "phi3",
        'functools[{"name": "calculator", "arguments": {"expression": "9/4"}}]<|end|>',
        [("calculator", {"expression": "9/4"})],
    ),
    Script(
        "phi4-mini: an answer about functools",
        "phi3",
        "Use functools.partial, or functools [the module] docs.<|end|>",
        answer="Use functools.partial, or functools [the module] docs.",
    ),
    # DeepSeek
    Script(
        "deepseek: thinking, then a call (R1)",
        "deepseek",
        "The user wants 37*41.\n</think>\n\n"
        f"{DS_CALLS}{DS_CALL}function{DS_SEP}calculator\n```json\n"
        '{"expression": "37*41"}\n```'
        f"{DS_CALL_END}{DS_CALLS_END}{DS_END}",
        [("calculator", {"expression": "37*41"})],
        thinking="The user wants 37*41.",
        order=["thinking", "tool_call"],
        starts_in_thinking=True,
    ),
    Script(
        "deepseek: two calls",
        "deepseek",
        f"{DS_CALLS}{DS_CALL}function{DS_SEP}calculator\n```json\n"
        '{"expression": "1+1"}\n```'
        f"{DS_CALL_END}\n{DS_CALL}function{DS_SEP}clock\n```json\n"
        '{"timezone": "Asia/Tokyo"}\n```'
        f"{DS_CALL_END}{DS_CALLS_END}",
        [("calculator", {"expression": "1+1"}), ("clock", {"timezone": "Asia/Tokyo"})],
    ),
    Script(
        "deepseek: V3.1 calls",
        "deepseek",
        f'{DS_CALLS}{DS_CALL}clock{DS_SEP}{{"timezone": "UTC"}}{DS_CALL_END}{DS_CALLS_END}{DS_END}',
        [("clock", {"timezone": "UTC"})],
    ),
    Script(
        "deepseek: a botched call",
        "deepseek",
        f"{DS_CALLS}{DS_CALL}function{DS_SEP}calculator\n```json\n"
        '{"expression": }\n```'
        f"{DS_CALL_END}{DS_CALLS_END}",
        [("calculator", None)],
    ),
]


def named(name: str) -> Script:
    (script,) = [script for script in SCRIPTS if script.name == name]
    return script


def parse(script: Script, chunks: Iterable[str]) -> list[Piece]:
    parser = ReplyParser(
        script.fmt,
        starts_in_thinking=script.starts_in_thinking,
        hidden_markers=script.markers,
        tools_offered=script.tools_offered,
        tool_format=tool_call_format(script.family),
    )
    pieces = [piece for chunk in chunks for piece in parser.feed(chunk)]
    return pieces + parser.finish()


def calls_of(pieces: Sequence[Piece]) -> list[ToolCall]:
    calls = [piece.call for piece in pieces if piece.kind == "tool_call"]
    assert all(call is not None for call in calls)
    return [call for call in calls if call is not None]


def check(script: Script, chunks: Iterable[str]) -> None:
    pieces = parse(script, chunks)
    texts = [piece for piece in pieces if piece.kind != "tool_call"]
    assert all(piece.text and piece.call is None for piece in texts)
    shown = {
        kind: "".join(piece.text for piece in texts if piece.kind == kind)
        for kind in ("thinking", "answer")
    }
    assert shown == {"thinking": script.thinking, "answer": script.answer}
    calls = calls_of(pieces)
    assert [(call.name, call.arguments) for call in calls] == list(script.calls)
    assert [bool(call.error) for call in calls] == [args is None for _, args in script.calls]
    assert all(piece.text == piece.call.raw for piece in pieces if piece.call is not None)
    order = [piece.kind for piece in pieces]
    joined = [kind for i, kind in enumerate(order) if i == 0 or order[i - 1] != kind]
    expected = list(script.order) or [
        kind
        for kind, present in (("answer", script.answer), ("tool_call", script.calls))
        if present
    ]
    assert joined == expected


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.__name__)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.name)
def test_fed_in_pieces(script: Script, feed: Feed) -> None:
    for chunks in feed(script.raw):
        check(script, chunks)


def test_every_family_has_a_script() -> None:
    formats = {tool_call_format(script.family) for script in SCRIPTS if script.calls}
    assert formats == {
        "hermes",
        "llama3",
        "mistral",
        "harmony",
        "command-r",
        "granite",
        "phi4-mini",
        "deepseek",
    }


def feed_all(parser: ReplyParser, text: str) -> list[Piece]:
    return [piece for character in text for piece in parser.feed(character)]


def test_answer_before_a_call_shows_at_once_and_the_call_comes_when_it_closes() -> None:
    parser = ReplyParser(tools_offered=True, hidden_markers=hidden_markers("chatml"))
    assert parser.feed("Let me check.") == [Piece("answer", "Let me check.")]
    assert parser.feed(f"\n<tool_call>\n{CALC}\n") == []
    pieces = parser.feed("</tool_call>")
    assert [(piece.kind, piece.call and piece.call.name) for piece in pieces] == [
        ("tool_call", "calculator")
    ]
    assert parser.finish() == []


def test_a_harmony_call_comes_when_its_message_ends() -> None:
    parser = ReplyParser("harmony", tools_offered=True)
    head = "<|start|>assistant<|channel|>commentary to=functions.clock <|constrain|>json"
    assert feed_all(parser, head + '<|message|>{"timezone": "UTC"}') == []
    (piece,) = parser.feed("<|call|>")
    assert piece.call is not None and piece.call.arguments == {"timezone": "UTC"}


def test_the_models_own_call_ids_are_kept() -> None:
    for family, raw, ids in [
        (
            "mistral",
            named("mistral: [TOOL_CALLS] with a list of two").raw,
            ["a1b2c3d4e", "f5g6h7i8j"],
        ),
        ("mistral", named("mistral: a call with [CALL_ID], after some text").raw, ["Zx9Yw8Vu7"]),
        ("command-r", named("command-r: <|START_ACTION|> (R7B)").raw, ["0"]),
    ]:
        parser = ReplyParser(tools_offered=True, tool_format=tool_call_format(family))
        calls = calls_of(parser.feed(raw) + parser.finish())
        assert [call.id for call in calls] == ids


def test_calls_without_ids_get_distinct_ones_a_mistral_template_accepts() -> None:
    parser = ReplyParser(tools_offered=True)
    raw = f"<tool_call>{CALC}</tool_call>" * 20
    ids = [call.id for call in calls_of(parser.feed(raw) + parser.finish())]
    assert len(ids) == len(set(ids)) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9]{9}", call_id) for call_id in ids)


def test_botched_calls_say_what_is_wrong() -> None:
    parser = ReplyParser(tools_offered=True)
    raw = named("hermes: botched calls beside a good one").raw
    errors = [call.error or "" for call in calls_of(parser.feed(raw) + parser.finish())]
    assert "not valid JSON" in errors[0]
    assert 'no tool "name"' in errors[1]
    assert "must be a JSON object" in errors[2] and "calculator" in errors[2]
    assert "empty" in errors[3]
    assert errors[4] == ""


def test_without_tools_offered_the_reply_parses_as_before() -> None:
    raw = f"Sure.<tool_call>{CALC}</tool_call>"
    plain = ReplyParser(hidden_markers=hidden_markers("chatml"))
    assert plain.feed(raw) + plain.finish() == [Piece("answer", raw)]


def test_a_call_inside_thinking_is_thinking_text() -> None:
    parser = ReplyParser(tools_offered=True)
    pieces = parser.feed(f"<think>I could write <tool_call>{CALC}</tool_call>.</think>Hi")
    pieces += parser.finish()
    assert [piece.kind for piece in pieces] == ["thinking", "answer"]
    assert pieces[0].text == f"I could write <tool_call>{CALC}</tool_call>."


def test_a_long_unclosed_call_is_one_botched_call() -> None:
    parser = ReplyParser(tools_offered=True)
    pieces = parser.feed('<tool_call>{"name": "calculator", "arguments": {"expression": "')
    for _ in range(2000):
        pieces += parser.feed("1+")
    pieces += parser.finish()
    (call,) = calls_of(pieces)
    assert call.name == "" and call.error and call.arguments is None
    assert [piece.kind for piece in pieces] == ["tool_call"]
