"""The official ``openai`` package against a real Hearth server with the starter model."""

from __future__ import annotations

import json
from pathlib import Path

import llama_cpp
import openai
import pytest

from app.library.starter import STARTER_NAME
from tests.support.api_server import Served

MODEL = STARTER_NAME
HELLO = [{"role": "user", "content": "Say hello to Ann."}]


def test_the_loaded_model_is_listed(client: openai.OpenAI):
    ids = [model.id for model in client.models.list()]
    assert ids == [MODEL]
    assert client.models.retrieve(MODEL).id == MODEL


def test_a_chat_reply(client: openai.OpenAI):
    reply = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=24)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert reply.model == MODEL and reply.object == "chat.completion"
    assert reply.usage is not None and reply.usage.prompt_tokens > 0
    assert 0 < reply.usage.completion_tokens <= 24


def test_a_streamed_chat_reply_ends_with_its_usage(client: openai.OpenAI):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=HELLO,
        max_tokens=24,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1
    whole = client.chat.completions.create(
        model=MODEL, messages=HELLO, max_tokens=24, temperature=0
    )
    assert text == whole.choices[0].message.content  # greedy: the same words either way


def test_max_tokens_and_max_completion_tokens_end_the_reply(client: openai.OpenAI):
    for limits in ({"max_tokens": 5}, {"max_completion_tokens": 5}):
        reply = client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Tell me a long story about a fox."}],
            **limits,  # type: ignore[arg-type]
        )
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage is not None and reply.usage.completion_tokens == 5


def test_a_stop_string_ends_the_reply_before_it(client: openai.OpenAI):
    free = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=24, temperature=0)
    text = free.choices[0].message.content or ""
    words = text.split()
    assert len(words) > 3
    stop_word = words[2]
    stopped = client.chat.completions.create(
        model=MODEL, messages=HELLO, max_tokens=24, temperature=0, stop=[stop_word]
    )
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == text[: text.index(stop_word)]


def test_a_seed_repeats_a_sampled_reply(client: openai.OpenAI):
    def sample(seed: int) -> str:
        reply = client.chat.completions.create(
            model=MODEL, messages=HELLO, max_tokens=16, temperature=1.0, top_p=0.9, seed=seed
        )
        return reply.choices[0].message.content or ""

    assert sample(7) == sample(7)


def test_json_schema_output_parses_and_matches(client: openai.OpenAI):
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "integer"},
            "sure": {"type": "boolean"},
            "unit": {"type": "string", "enum": ["apples", "pears"]},
        },
        "required": ["answer", "sure", "unit"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Two apples plus two apples: how many? JSON."}],
        max_tokens=60,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "count", "schema": schema, "strict": True},
        },
    )
    value = json.loads(reply.choices[0].message.content or "")
    assert set(value) == {"answer", "sure", "unit"}
    assert isinstance(value["answer"], int) and isinstance(value["sure"], bool)
    assert value["unit"] in ("apples", "pears")


def test_json_object_output_is_an_object(client: openai.OpenAI):
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Describe a cat as JSON."}],
        max_tokens=120,
        response_format={"type": "json_object"},
    )
    if reply.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)
    else:  # cut at max_tokens: still the start of an object
        assert (reply.choices[0].message.content or "").lstrip().startswith("{")


def test_text_completions(client: openai.OpenAI):
    reply = client.completions.create(model=MODEL, prompt="The sky is", max_tokens=8)
    assert reply.object == "text_completion" and reply.choices[0].text.strip()
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 8
    chunks = list(
        client.completions.create(model=MODEL, prompt="The sky is", max_tokens=8, stream=True)
    )
    assert "".join(c.choices[0].text for c in chunks).strip()
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_a_text_completion_continues_the_prompt_as_written(
    client: openai.OpenAI, starter_model: Path
):
    prompt = "Counting: 1, 2, 3, 4, 5,"
    reply = client.completions.create(model=MODEL, prompt=prompt, max_tokens=6, temperature=0)
    # No chat template went round it: the prompt is exactly the tokenizer's tokens.
    vocab = llama_cpp.Llama(model_path=str(starter_model), vocab_only=True, verbose=False)
    expected = vocab.tokenize(prompt.encode(), add_bos=True, special=True)
    assert reply.usage is not None and reply.usage.prompt_tokens == len(expected)
    # The text as the model wrote it, its leading space kept: prompt + text reads on.
    assert reply.choices[0].text.startswith(" 6, 7")


def test_tools_need_a_known_tool(client: openai.OpenAI):
    tool = {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    }
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model=MODEL,
            messages=HELLO,
            tools=[tool],  # type: ignore[list-item]
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )
    assert refused.value.param == "tool_choice" and "get_weather" in refused.value.message


def test_errors_have_openai_shape_and_status(client: openai.OpenAI):
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-9", messages=HELLO)
    assert unknown.value.code == "model_not_found" and "gpt-9" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as hot:
        client.chat.completions.create(model=MODEL, messages=HELLO, temperature=5)
    assert hot.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as long:
        client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=10**6)
    assert long.value.code == "max_tokens_too_large"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[])
    with pytest.raises(openai.BadRequestError) as schema:
        client.chat.completions.create(
            model=MODEL,
            messages=HELLO,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"type": "nope"}},
            },  # type: ignore[typeddict-item]
        )
    assert schema.value.param == "response_format"
    with pytest.raises(openai.BadRequestError) as embeddings:
        client.embeddings.create(model=MODEL, input="hello")
    assert "embedding" in embeddings.value.message


def test_bad_input_never_takes_the_engine_down(client: openai.OpenAI, served: Served):
    pid = served.hearth.engine.host_pid
    for body in ({"messages": "hi"}, {"messages": [{"role": "robot", "content": "x"}]}):
        with pytest.raises(openai.BadRequestError):
            client.post("/chat/completions", body=body, cast_to=object)
    reply = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=4)
    assert reply.choices[0].message.content
    assert served.hearth.engine.host_pid == pid
