"""Call grammars, checked by llama.cpp itself with the starter model's vocabulary: each
parses, admits a well-formed call to an offered tool in the family's syntax (which the
reply parser then reads back as that call), and admits nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from app.engine.reply_parser import ReplyParser
from app.engine.tool_calls import ToolCallFormat
from app.tools.base import Tool, ToolResult
from app.tools.builtin import builtin_tools
from app.tools.calculator import CalculatorTool
from app.tools.grammar import call_grammar
from app.tools.registry import ToolRegistry
from tests.support.grammar_admits import admits

ARGS = '{"expression": "37*41"}'
CALL = '{"name": "calculator", "arguments": ' + ARGS + "}"

# Each format's call to the calculator, written out by hand.
EXAMPLES: dict[ToolCallFormat, str] = {
    "hermes": f"<tool_call>\n{CALL}\n</tool_call>",
    "llama3": '{"name": "calculator", "parameters": ' + ARGS + "}",
    "mistral": f"[TOOL_CALLS][{CALL}]",
    "harmony": "<|channel|>commentary to=functions.calculator <|constrain|>json<|message|>" + ARGS,
    "command-r": 'Action: ```json\n[{"tool_name": "calculator", "parameters": ' + ARGS + "}]\n```",
    "granite": f"<|tool_call|>[{CALL}]",
    "phi4-mini": f"functools[{CALL}]",
    "deepseek": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>calculator"
    "\n```json\n" + ARGS + "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
}


def read_back(fmt: ToolCallFormat, text: str) -> list[tuple[str, Any]]:
    parser = ReplyParser(
        "harmony" if fmt == "harmony" else "tags", tools_offered=True, tool_format=fmt
    )
    pieces = parser.feed(text) + parser.finish()
    return [(p.call.name, p.call.arguments) for p in pieces if p.call and p.call.ok]


@pytest.mark.parametrize("fmt", list(EXAMPLES))
def test_each_format_admits_its_call_and_the_parser_reads_it_back(
    vocab_model: Any, fmt: ToolCallFormat
) -> None:
    grammar = call_grammar(builtin_tools(), fmt)
    assert admits(vocab_model, grammar, EXAMPLES[fmt])
    assert read_back(fmt, EXAMPLES[fmt]) == [("calculator", {"expression": "37*41"})]
    assert not admits(vocab_model, grammar, "The answer is 1517.")


def test_the_calculator_grammar_admits_only_well_formed_calls(vocab_model: Any) -> None:
    grammar = call_grammar([CalculatorTool()], "hermes")

    def call(arguments: str, name: str = "calculator") -> str:
        return f'<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call>'

    assert admits(vocab_model, grammar, call('{"expression": "sqrt(2) * (3 + pi)"}'))
    assert admits(vocab_model, grammar, call('{"expression":"2^10"}'))
    assert not admits(vocab_model, grammar, call('{"expression": "37*41"}', name="clock"))
    assert not admits(vocab_model, grammar, call('{"expr": "37*41"}'))
    assert not admits(vocab_model, grammar, call("{}"))
    assert not admits(vocab_model, grammar, call('{"expression": 1517}'))
    assert not admits(vocab_model, grammar, call('{"expression": "rm -rf /"}'))
    assert not admits(vocab_model, grammar, call('{"expression": "exp"}'))
    assert not admits(vocab_model, grammar, call('{"expression": "1", "more": 1}'))
    assert not admits(vocab_model, grammar, call(ARGS)[: -len("</tool_call>")])


def test_a_choice_of_tools(vocab_model: Any) -> None:
    grammar = call_grammar(builtin_tools(), "hermes")
    clock = '<tool_call>\n{"name": "clock", "arguments": {"timezone": "Asia/Tokyo"}}\n</tool_call>'
    assert admits(vocab_model, grammar, clock)
    assert admits(vocab_model, grammar, clock.replace('{"timezone": "Asia/Tokyo"}', "{}"))


class Anything(Tool):
    """A tool whose schema the converter cannot turn into a grammar."""

    name = "anything"
    description = "Takes any object."
    parameters: Mapping[str, Any] = {
        "type": "object",
        "properties": {"a": {"$ref": "https://example.com/elsewhere.json"}},
    }

    def run(self, arguments: Mapping[str, Any]) -> ToolResult:
        return ToolResult("ok")


def test_a_schema_the_converter_cannot_read_still_gets_a_json_object(vocab_model: Any) -> None:
    grammar = call_grammar([Anything()], "hermes")
    text = '<tool_call>\n{"name": "anything", "arguments": {"a": [1, "two", null]}}\n</tool_call>'
    assert admits(vocab_model, grammar, text)
    assert not admits(vocab_model, grammar, text.replace("[1,", "[1,,"))


def test_no_tools_no_grammar() -> None:
    with pytest.raises(ValueError):
        call_grammar([], "hermes")


def test_the_starter_model_forced_to_call_the_calculator_makes_a_call_that_runs(
    starter_model: Path,
) -> None:
    llm = llama_cpp.Llama(model_path=str(starter_model), n_ctx=512, n_threads=1, verbose=False)
    try:
        tools = builtin_tools()
        grammar = llama_cpp.LlamaGrammar.from_string(call_grammar(tools, "hermes"), verbose=False)
        prompt = (
            "<|im_start|>system\nYou are a helpful assistant. Use the calculator for"
            " arithmetic.<|im_end|>\n<|im_start|>user\nWhat is 37*41?<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        reply = llm.create_completion(prompt, grammar=grammar, max_tokens=80, temperature=0.0)
    finally:
        llm.close()
    text = reply["choices"][0]["text"]
    parser = ReplyParser(tools_offered=True)
    pieces = parser.feed(text) + parser.finish()
    assert [piece.kind for piece in pieces] == ["tool_call"]
    call = pieces[0].call
    assert call is not None and call.ok and call.name == "calculator"
    assert list(call.arguments or {}) == ["expression"]
    result = ToolRegistry(tools).run(call)
    assert not result.is_error, result.text
    float(result.text)  # a number
