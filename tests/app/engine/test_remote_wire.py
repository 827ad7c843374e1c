"""The wire format of remote engines: what a request carries, and how the streamed
chunks of the servers in use (llama-server, vLLM, Ollama, OpenAI) are read."""

from __future__ import annotations

import json

import pytest

from app.engine.protocol import TOOL_CHOICE, SamplingParams
from app.engine.remote_wire import StreamReader, chat_body, must_call, parse_error_body


def _line(chunk: dict[str, object]) -> str:
    return f"data: {json.dumps(chunk)}"


def test_a_request_carries_the_standard_fields_only():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello", "reasoning_content": "greet back"},
        {"role": "user", "content": "Again"},
    ]
    body = chat_body(
        "m", messages, SamplingParams(temperature=0.2, top_k=5, seed=7), stop=("a", "b")
    )
    assert body["model"] == "m" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["seed"], body["stop"]) == (0.2, 7, ["a", "b"])
    assert "top_k" not in body and "min_p" not in body and "repeat_penalty" not in body
    assert all("reasoning_content" not in message for message in body["messages"])
    assert chat_body("m", messages, SamplingParams(), grammar="root ::= x")["grammar"]


def test_switches_and_tool_choice_go_the_way_servers_take_them():
    hi = [{"role": "user", "content": "Hi"}]
    tools = [{"type": "function", "function": {"name": "clock", "parameters": {}}}]
    off = chat_body("m", hi, SamplingParams(), options={"enable_thinking": False})
    assert off["chat_template_kwargs"] == {"enable_thinking": False}
    assert "reasoning_effort" not in off
    effort = chat_body("m", hi, SamplingParams(), options={"reasoning_effort": "high"})
    assert effort["reasoning_effort"] == "high" and "chat_template_kwargs" not in effort
    plain = chat_body("m", hi, SamplingParams(), options={"tools": tools})
    assert plain["tools"] == tools and "tool_choice" not in plain
    # A grammar with tools is the chat's "must call a tool": the server is told so.
    forced = chat_body("m", hi, SamplingParams(), options={"tools": tools}, grammar="root ::= x")
    assert forced["tool_choice"] == "required" and "grammar" not in forced
    named = {"type": "function", "function": {"name": "clock"}}
    asked = chat_body("m", hi, SamplingParams(), options={"tools": tools, TOOL_CHOICE: named})
    assert asked["tool_choice"] == named
    assert must_call({"tools": tools, TOOL_CHOICE: named}, None)
    assert not must_call({"tools": tools, TOOL_CHOICE: "auto"}, None)
    assert not must_call({}, "root ::= x")


def test_thinking_usage_and_timings_are_read():
    reader = StreamReader()
    seen = [
        reader.line(_line({"choices": [{"delta": {"reasoning_content": "hm"}}]})),
        reader.line(_line({"choices": [{"delta": {"reasoning": " ok"}}]})),  # Ollama's name
        reader.line(_line({"choices": [{"delta": {"content": "Hi"}, "finish_reason": "stop"}]})),
        reader.line(": keep-alive"),
        reader.line(_line({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}})),
        reader.line(_line({"choices": [], "timings": {"predicted_per_second": 42.5}})),
        reader.line("data: [DONE]"),
    ]
    assert [(d.reasoning, d.content) if d else None for d in seen] == [
        ("hm", ""),
        (" ok", ""),
        ("", "Hi"),
        None,
        None,
        None,
        None,
    ]
    assert reader.done and reader.finish == "stop" and reader.text_chunks == 3
    assert reader.usage is not None
    assert (reader.usage.prompt_tokens, reader.usage.completion_tokens) == (9, 3)
    assert reader.usage.predicted_per_s == 42.5


def test_an_error_in_the_stream_is_raised_with_its_message():
    reader = StreamReader()
    with pytest.raises(ValueError, match="context length exceeded"):
        reader.line(_line({"error": {"message": "context length exceeded", "code": 400}}))


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"error": {"message": "Incorrect API key", "type": "auth"}}', "Incorrect API key"),
        (b'{"detail": "Invalid API key"}', "Invalid API key"),
        (b'{"error": "model not found"}', "model not found"),
        (b"Bad Gateway\n", "Bad Gateway"),
    ],
)
def test_error_bodies_of_every_shape_give_their_reason(body: bytes, said: str):
    assert parse_error_body(body) == said
