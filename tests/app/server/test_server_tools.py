"""Tools through the API, with the official ``openai`` and ``anthropic`` clients against a
real Hearth server over the real starter model.

The server never runs a tool: it offers the client's tools to the model, hands back the
calls the model makes, and takes the results the client sends back. The 135M model does
not know tools, so a call is forced ("required", a named function, Anthropic's "any"),
which a grammar in the model's call syntax enforces; at temperature 0 it writes the same
call every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from app.library.starter import STARTER_NAME
from app.tools.arguments import argument_problem
from tests.support.api_server import Served

MODEL = STARTER_NAME
CALCULATOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"expression": {"type": "string", "maxLength": 40}},
    "required": ["expression"],
    "additionalProperties": False,
}
CLOCK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"zone": {"type": "string", "enum": ["UTC", "Europe/Paris"]}},
    "required": ["zone"],
    "additionalProperties": False,
}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Evaluates an arithmetic expression.",
            "parameters": CALCULATOR_SCHEMA,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "clock",
            "description": "The time now in a time zone.",
            "parameters": CLOCK_SCHEMA,
        },
    },
]
SYSTEM = "Use the calculator for arithmetic."
ASK: list[Any] = [{"role": "user", "content": "What is 12*7?"}]
QUESTION: list[Any] = [{"role": "system", "content": SYSTEM}, *ASK]


def _ask(client: openai.OpenAI, **extra: Any) -> Any:
    return client.chat.completions.create(
        model=MODEL, messages=QUESTION, tools=TOOLS, temperature=0, max_tokens=60, **extra
    )


def test_a_required_call_is_a_well_formed_tool_call(client: openai.OpenAI):
    reply = _ask(client, tool_choice="required")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function" and call.id
    assert call.function.name in ("calculator", "clock")
    arguments = json.loads(call.function.arguments)
    schema = CALCULATOR_SCHEMA if call.function.name == "calculator" else CLOCK_SCHEMA
    assert argument_problem(schema, arguments) is None
    assert not choice.message.content  # the reply is the call, no text beside it


def test_a_named_function_is_the_one_called(client: openai.OpenAI):
    for name, schema in (("calculator", CALCULATOR_SCHEMA), ("clock", CLOCK_SCHEMA)):
        reply = _ask(client, tool_choice={"type": "function", "function": {"name": name}})
        calls = reply.choices[0].message.tool_calls
        assert calls is not None and [c.function.name for c in calls] == [name]
        assert argument_problem(schema, json.loads(calls[0].function.arguments)) is None


def test_streamed_deltas_assemble_into_the_same_call(client: openai.OpenAI):
    forced = {"type": "function", "function": {"name": "calculator"}}
    whole = _ask(client, tool_choice=forced).choices[0].message.tool_calls
    assert whole is not None
    parts: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in _ask(client, tool_choice=forced, stream=True):
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        for piece in delta.tool_calls or []:
            entry = parts.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += piece.id or ""
            if piece.function is not None:
                entry["name"] += piece.function.name or ""
                entry["arguments"] += piece.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert list(parts) == [0]
    assert parts[0]["name"] == whole[0].function.name == "calculator"
    assert json.loads(parts[0]["arguments"]) == json.loads(whole[0].function.arguments)
    assert parts[0]["id"]


def test_a_tool_result_sent_back_yields_an_answer(client: openai.OpenAI):
    asked = _ask(client, tool_choice="required").choices[0].message
    assert asked.tool_calls
    call = asked.tool_calls[0]
    conversation: list[Any] = [
        *QUESTION,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "84"},
    ]
    reply = client.chat.completions.create(
        model=MODEL, messages=conversation, tools=TOOLS, temperature=0, max_tokens=30
    )
    choice = reply.choices[0]
    assert choice.message.content and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert reply.usage is not None and reply.usage.prompt_tokens > 20  # the call and result too


def test_tool_choice_none_offers_no_tools_and_auto_lets_the_model_answer(client: openai.OpenAI):
    for choice in ("none", "auto"):
        reply = _ask(client, tool_choice=choice)
        message = reply.choices[0].message
        assert reply.choices[0].finish_reason in ("stop", "length", "tool_calls")
        if reply.choices[0].finish_reason != "tool_calls":
            assert message.content and not message.tool_calls


def test_bad_tools_get_a_clear_400(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as unknown:
        _ask(client, tool_choice={"type": "function", "function": {"name": "weather"}})
    assert unknown.value.param == "tool_choice" and "weather" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as nameless:
        client.chat.completions.create(
            model=MODEL,
            messages=QUESTION,
            tools=[{"type": "function", "function": {"parameters": {}}}],  # type: ignore[typeddict-item]
        )
    assert "name" in nameless.value.message
    with pytest.raises(openai.BadRequestError) as orphan:
        client.chat.completions.create(
            model=MODEL,
            messages=[*QUESTION, {"role": "tool", "content": "84"}],  # type: ignore[list-item, typeddict-item]
        )
    assert "tool_call_id" in orphan.value.message


@pytest.fixture(scope="module")
def claude(served: Served) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=served.origin, api_key="unused", max_retries=0) as client:
        yield client


ANTHROPIC_TOOLS: list[Any] = [
    {
        "name": "calculator",
        "description": "Evaluates an arithmetic expression.",
        "input_schema": CALCULATOR_SCHEMA,
    }
]


def test_anthropic_tool_use_and_tool_result(claude: anthropic.Anthropic):
    message = claude.messages.create(
        model=MODEL,
        max_tokens=60,
        system=SYSTEM,
        messages=ASK,
        tools=ANTHROPIC_TOOLS,
        tool_choice={"type": "any"},
        extra_body={"temperature": 0},
    )
    assert message.stop_reason == "tool_use"
    uses = [block for block in message.content if block.type == "tool_use"]
    assert len(uses) == 1 and uses[0].name == "calculator" and uses[0].id
    assert argument_problem(CALCULATOR_SCHEMA, uses[0].input) is None  # type: ignore[arg-type]
    with claude.messages.stream(
        model=MODEL,
        max_tokens=60,
        system=SYSTEM,
        messages=ASK,
        tools=ANTHROPIC_TOOLS,
        tool_choice={"type": "tool", "name": "calculator"},
        extra_body={"temperature": 0},
    ) as stream:
        streamed = stream.get_final_message()
    streamed_uses = [block for block in streamed.content if block.type == "tool_use"]
    assert streamed.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in streamed_uses] == [(uses[0].name, uses[0].input)]
    answered = claude.messages.create(
        model=MODEL,
        max_tokens=30,
        extra_body={"temperature": 0},
        tools=ANTHROPIC_TOOLS,
        system=SYSTEM,
        messages=[
            *ASK,
            {"role": "assistant", "content": message.content},  # type: ignore[typeddict-item]
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": "84"}],
            },
        ],
    )
    assert answered.content[0].type == "text" and answered.content[0].text.strip()
    assert answered.stop_reason in ("end_turn", "max_tokens", "tool_use")
