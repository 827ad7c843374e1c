"""Replies in OpenAI's shapes: chat completions and (legacy) text completions.

Thinking goes out as ``reasoning_content`` beside ``content`` (whole replies) or in its
own deltas (streams), as DeepSeek, vLLM and LM Studio send it. Tool calls go out as
``tool_calls`` (arguments as JSON text), streamed as one delta for each call's name and
one for its arguments, and the reply's ``finish_reason`` is then ``tool_calls``. A stream
asked for usage (``stream_options.include_usage``) ends with a chunk that has no choices
and the usage.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import ServerSentEvent

from app.engine.protocol import GenerationStats
from app.engine.tool_calls import ToolCall
from app.server.backend import Turn
from app.server.reply import Call, Ended, Event, Failed, Text
from app.server.serving import Collected
from app.server.sse import event

DONE = "[DONE]"


def finish_reason(stats: GenerationStats | None, called: bool = False) -> str:
    if stats is not None and stats.finish_reason == "length":
        return "length"
    return "tool_calls" if called else "stop"


def call_arguments_text(call: ToolCall) -> str:
    """A call's arguments as JSON text; a botched call's as the model wrote them."""
    if call.arguments is not None:
        return json.dumps(call.arguments, ensure_ascii=False)
    return call.raw


def wire_call(call: ToolCall) -> dict[str, Any]:
    """One call in a whole reply's ``tool_calls``."""
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call_arguments_text(call)},
    }


def usage(stats: GenerationStats | None) -> dict[str, int]:
    prompt = stats.prompt_tokens if stats else 0
    completion = stats.completion_tokens if stats else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class ChatFormat:
    """``chat.completion`` and ``chat.completion.chunk``."""

    def __init__(self, include_usage: bool = False) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.include_usage = include_usage

    def whole(self, reply: Collected) -> dict[str, Any]:
        answer = "".join(reply.answer) + "".join(c.raw for c in reply.calls if not c.name)
        calls = [wire_call(call) for call in reply.calls if call.name]
        # A reply that is only calls has no content (null), as OpenAI's have.
        message: dict[str, Any] = {"role": "assistant", "content": answer or None}
        if not calls:
            message["content"] = answer
        if reply.thinking:
            message["reasoning_content"] = "".join(reply.thinking)
        if calls:
            message["tool_calls"] = calls
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": reply.turn.model_id,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason(reply.stats, bool(calls)),
                }
            ],
            "usage": usage(reply.stats),
        }

    async def stream(
        self, turn: Turn, events: AsyncIterator[Event]
    ) -> AsyncIterator[ServerSentEvent]:
        yield self._chunk(turn, {"role": "assistant", "content": ""})
        calls = 0
        async for item in events:
            if isinstance(item, Text):
                field = "content" if item.kind == "answer" else "reasoning_content"
                yield self._chunk(turn, {field: item.text})
            elif isinstance(item, Call) and not item.call.name:
                yield self._chunk(turn, {"content": item.call.raw})  # not a call after all
            elif isinstance(item, Call):
                for delta in _call_deltas(item.call, calls):
                    yield self._chunk(turn, {"tool_calls": [delta]})
                calls += 1
            elif isinstance(item, Ended):
                yield self._chunk(turn, {}, finish_reason(item.stats, calls > 0))
                if self.include_usage:
                    yield event({**self._head(turn), "choices": [], "usage": usage(item.stats)})
                yield event(DONE)
            elif isinstance(item, Failed):
                yield event(item.error.openai_body())

    def _head(self, turn: Turn) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": turn.model_id,
            "system_fingerprint": None,
        }

    def _chunk(
        self, turn: Turn, delta: dict[str, Any], finish: str | None = None
    ) -> ServerSentEvent:
        chunk = {
            **self._head(turn),
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return event(chunk)


def _call_deltas(call: ToolCall, index: int) -> list[dict[str, Any]]:
    """A call as stream deltas: its id and name first, then its arguments."""
    return [
        {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        },
        {"index": index, "function": {"arguments": call_arguments_text(call)}},
    ]


class CompletionFormat:
    """``text_completion``, whole and streamed. The model's thinking is not part of it."""

    def __init__(self, include_usage: bool = False) -> None:
        self.id = f"cmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.include_usage = include_usage

    def whole(self, reply: Collected) -> dict[str, Any]:
        return {
            **self._head(reply.turn),
            "choices": [
                {
                    "text": "".join(reply.answer),
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": finish_reason(reply.stats),
                }
            ],
            "usage": usage(reply.stats),
        }

    async def stream(
        self, turn: Turn, events: AsyncIterator[Event]
    ) -> AsyncIterator[ServerSentEvent]:
        async for item in events:
            if isinstance(item, Text) and item.kind == "answer":
                yield self._chunk(turn, item.text)
            elif isinstance(item, Ended):
                yield self._chunk(turn, "", finish_reason(item.stats))
                if self.include_usage:
                    yield event({**self._head(turn), "choices": [], "usage": usage(item.stats)})
                yield event(DONE)
            elif isinstance(item, Failed):
                yield event(item.error.openai_body())

    def _head(self, turn: Turn) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": turn.model_id,
            "system_fingerprint": None,
        }

    def _chunk(self, turn: Turn, text: str, finish: str | None = None) -> ServerSentEvent:
        chunk = {
            **self._head(turn),
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return event(chunk)
