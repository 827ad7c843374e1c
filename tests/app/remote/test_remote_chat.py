"""Chatting with a model on a remote server is like chatting with a local one: the reply
streams, Stop stops it (and ends the connection), regenerate makes a new version,
thinking is kept apart, the figures are stored, and so is the conversation.

The servers are real and not Hearth's: llama-cpp-python's own server, and ``hearth serve``
(another Hearth, which the one under test reaches only over HTTP).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from app.chat.service import ChatOptions
from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from tests.support.api_server import Served, serving, wait_until
from tests.support.remote_client import connect, send
from tests.support.remote_servers import LlamaServer, scripted_server

# A template whose generation prompt opens <think>, and a grammar that closes the thought
# and answers: the starter model then thinks like a reasoning model (as in the server's
# own thinking test).
FORCED_THINK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)
THOUGHT_THEN_ANSWER = 'root ::= [a-z ]{12,40} "</think>" [A-Za-z ]{4,30}'
# The same, written whole into the answer: what a server that does not separate
# thinking sends.
TAGGED_THOUGHT = 'root ::= "<think>" [a-z ]{12,40} "</think>" [A-Za-z ]{4,30}'


def _stop_after(hearth: Hearth) -> tuple[threading.Event, list[float]]:
    """Stop from another thread (as the window's button does) once the event is set."""
    enough = threading.Event()
    stopped_at: list[float] = []

    def stop() -> None:
        enough.wait(60)
        stopped_at.append(time.perf_counter())
        hearth.chat.stop()

    threading.Thread(target=stop, daemon=True).start()
    return enough, stopped_at


def _connections_to(port: int) -> list[object]:
    return [
        c
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    ]


def test_a_reply_streams_in_pieces_and_is_stored_with_its_figures(
    client: Hearth, llama_server: LlamaServer, starter_model: Path
):
    model = str(starter_model)  # llama-cpp-python lists a model by its path
    info = connect(client, "lcp", llama_server.base_url, model)
    assert info.backend == "lcp (remote)" and info.model_path == f"remote:lcp/{model}"
    result, heard = send(client, "Write two sentences about the sea.")
    assert result.error is None
    assert len(heard.answer) > 3 and heard.text.strip()  # it came in pieces, as it was made
    stored = client.conversations.get_message(result.message.id)
    assert stored.status == "complete"
    assert stored.content == heard.text
    assert stored.model == f"remote:lcp/{model}"
    assert stored.completion_tokens and stored.completion_tokens >= len(heard.answer)
    assert stored.ttft_ms and stored.ttft_ms > 0
    assert stored.tokens_per_s and stored.tokens_per_s > 0
    conversation = client.conversations.get_conversation(stored.conversation_id)
    assert conversation.model == f"remote:lcp/{model}"

    again = client.chat.regenerate(stored.id)
    assert again.error is None and again.message.id != stored.id
    assert again.message.parent_id == stored.parent_id and again.message.content
    versions = client.conversations.version_ids([stored.id])[stored.id]
    assert versions == [stored.id, again.message.id]


def test_usage_the_server_reports_is_stored(client: Hearth, hearth_serve: Served):
    connect(client, "hearth", hearth_serve.base_url, STARTER_NAME)
    result, heard = send(client, "Say hello.")
    assert result.error is None and heard.text
    stats = result.stats
    assert stats is not None and stats.prompt_tokens > 5
    stored = client.conversations.get_message(result.message.id)
    assert stored.prompt_tokens == stats.prompt_tokens
    assert stored.completion_tokens == stats.completion_tokens > 0


def test_stop_returns_and_closes_the_connection_within_200_ms(
    client: Hearth, llama_server: LlamaServer, starter_model: Path
):
    connect(client, "lcp", llama_server.base_url, str(starter_model))
    enough, stopped_at = _stop_after(client)
    seen: list[str] = []

    def on_text(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            enough.set()

    result, heard = send(client, "Tell me a long story about a lighthouse.", on_text=on_text)
    returned = time.perf_counter()
    assert returned - stopped_at[0] < 0.2
    assert not _connections_to(llama_server.port)
    assert result.error is None and result.stats and result.stats.finish_reason == "cancelled"
    stored = client.conversations.get_message(result.message.id)
    assert stored.status == "stopped" and stored.content == heard.text != ""


def test_stop_reaches_the_server(client: Hearth, hearth_serve: Served):
    """``hearth serve`` ends its own generation once the client has gone."""
    connect(client, "hearth", hearth_serve.base_url, STARTER_NAME)
    enough, _ = _stop_after(client)
    seen: list[str] = []

    def on_text(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 2:
            enough.set()

    result, _heard = send(client, "Tell me a long story about a lighthouse.", on_text=on_text)
    assert result.stats and result.stats.finish_reason == "cancelled"
    wait_until(lambda: hearth_serve.hearth.engine.reply_request is None, timeout=2.0)


@pytest.fixture(scope="module")
def thinking_serve(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[Served]:
    def think(hearth: Hearth) -> None:
        key = hearth.model_key(hearth.resolve_model(STARTER_NAME).path)
        settings = hearth.model_settings.get(key)
        hearth.model_settings.save(
            replace(
                settings, chat_template_override=FORCED_THINK_TEMPLATE, grammar=THOUGHT_THEN_ANSWER
            )
        )

    with serving(tmp_path_factory.mktemp("thinking-served"), prepare=think) as served:
        yield served


def test_thinking_sent_as_reasoning_content_is_shown_apart(client: Hearth, thinking_serve: Served):
    connect(client, "thinker", thinking_serve.base_url, STARTER_NAME)
    result, heard = send(client, "Say hello.")
    assert result.error is None
    stored = client.conversations.get_message(result.message.id)
    assert 12 <= len(stored.reasoning) <= 40 and stored.reasoning == "".join(heard.thinking)
    assert stored.content.strip() and "think>" not in stored.content + stored.reasoning
    assert stored.thinking_ms is not None


def test_think_tags_in_the_answer_are_read_as_thinking(
    client: Hearth, llama_server: LlamaServer, starter_model: Path
):
    ref = f"remote:lcp/{starter_model}"
    # A grammar saved for the remote model goes to llama.cpp's server with the request.
    settings = client.model_settings.get(ref)
    client.model_settings.save(replace(settings, grammar=TAGGED_THOUGHT))
    connect(client, "lcp", llama_server.base_url, str(starter_model))
    result, heard = send(client, "Say hello.")
    assert result.error is None
    stored = client.conversations.get_message(result.message.id)
    assert stored.reasoning.strip() and stored.content.strip()
    assert "think>" not in stored.content + stored.reasoning
    assert "".join(heard.thinking) == stored.reasoning


def _delta(**delta: object) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def test_tool_calls_the_server_sends_run_like_a_local_models(client: Hearth):
    """The server parsed a call (as vLLM and llama-server do): it runs, and its result goes
    back in the API's form for the next round."""
    call = {"index": 0, "id": "call_1", "type": "function"}
    first = [
        _delta(tool_calls=[{**call, "function": {"name": "calculator", "arguments": ""}}]),
        _delta(tool_calls=[{"index": 0, "function": {"arguments": '{"expression": '}}]),
        _delta(tool_calls=[{"index": 0, "function": {"arguments": '"6*7"}'}}]),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    second = [_delta(content="It is "), _delta(content="42.")]
    with scripted_server("tooled", [first, second]) as server:
        connect(client, "tooled", server.base_url, "tooled")
        conversation = client.conversations.create_conversation("tools", None)
        result = client.chat.send(
            conversation.id, "What is 6*7?", options=ChatOptions(tools=("calculator",))
        )
    assert result.error is None and result.message.content == "It is 42."
    offered, answered = server.bodies
    assert [tool["function"]["name"] for tool in offered["tools"]] == ["calculator"]
    assistant, tool = answered["messages"][-2:]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "calculator",
        "arguments": '{"expression": "6*7"}',
    }
    assert tool["role"] == "tool" and tool["tool_call_id"] == "call_1" and "42" in tool["content"]
    roles = [m.role for m in client.conversations.active_path(conversation.id)]
    assert roles == ["user", "assistant", "tool", "assistant"]
