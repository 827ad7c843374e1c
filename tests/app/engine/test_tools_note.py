"""A model whose chat template has no place for tools is still told of them, in a form
Hearth's parser reads back."""

from __future__ import annotations

from typing import get_args

import pytest

from app.engine.chat_template import ChatTemplate
from app.engine.prompt_builder import PromptBuilder
from app.engine.reply_parser import ReplyParser
from app.engine.tool_calls import ToolCallFormat
from app.engine.tools_note import example_call
from tests.app.engine.test_prompt_builder import CHATML_STYLE, HELLO, INSTRUCTIONS

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Works out an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}

# A template in Qwen 2.5's style: it lists the tools itself.
READS_TOOLS = (
    "{%- if tools -%}{{- '<|im_start|>system\\nTools: ' -}}"
    "{%- for tool in tools -%}{{- tool | tojson -}}{%- endfor -%}"
    "{{- '<|im_end|>\\n' -}}{%- endif -%}" + CHATML_STYLE
)


def test_a_template_without_tools_gets_them_in_the_instructions() -> None:
    prompts = PromptBuilder(ChatTemplate(CHATML_STYLE), "chatml")
    text = prompts.render([INSTRUCTIONS, HELLO], options={"tools": [CALCULATOR]}).text
    system = text.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nAnswer like a pirate.")
    assert '"name": "calculator"' in system and "Works out an arithmetic" in system
    assert "<tool_call>" in system  # how to call, in the syntax the parser reads

    without_tools = prompts.render([INSTRUCTIONS, HELLO]).text
    assert "calculator" not in without_tools and "<tool_call>" not in without_tools


def test_without_instructions_the_note_is_the_system_turn() -> None:
    prompts = PromptBuilder(ChatTemplate(CHATML_STYLE), "chatml")
    text = prompts.render([HELLO], options={"tools": [CALCULATOR]}).text
    assert text.startswith("<|im_start|>system\nYou can call these tools.")


def test_a_template_that_lists_tools_itself_gets_no_second_list() -> None:
    prompts = PromptBuilder(ChatTemplate(READS_TOOLS), "chatml")
    text = prompts.render([HELLO], options={"tools": [CALCULATOR]}).text
    assert text.count('"calculator"') == 1
    assert "You can call these tools" not in text


@pytest.mark.parametrize("fmt", get_args(ToolCallFormat))
def test_the_example_call_of_every_format_is_read_back_as_a_call(fmt: ToolCallFormat) -> None:
    if fmt == "harmony":  # harmony templates always list tools; the note shows a tag
        parser = ReplyParser(tools_offered=True)
    else:
        parser = ReplyParser(tools_offered=True, tool_format=fmt)
    pieces = parser.feed(example_call(fmt)) + parser.finish()
    calls = [piece.call for piece in pieces if piece.call is not None]
    assert [(call.name, call.arguments, call.error) for call in calls] == [
        ("tool_name", {"argument": "value"}, None)
    ]


def test_no_note_where_a_grammar_forces_the_call() -> None:
    prompts = PromptBuilder(ChatTemplate(CHATML_STYLE), "chatml")
    options = {"tools": [CALCULATOR]}
    text = prompts.render([HELLO], options=options, describe_tools=False).text
    assert "calculator" not in text
