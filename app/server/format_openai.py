"""Replies in OpenAI's shapes: chat completions and (legacy) text completions.

Thinking goes out as ``reasoning_content`` beside ``content`` (whole replies) or in its
own deltas (streams), as DeepSeek, vLLM and LM Studio send it. A stream asked for usage
(``stream_options.include_usage``) ends with a chunk that has no choices and the usage.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import ServerSentEvent

from app.engine.protocol import GenerationStats
from app.server.backend import Turn
from app.server.reply import Ended, Event, Failed, Text
from app.server.serving import Collected
from app.server.sse import event

DONE = "[DONE]"


def finish_reason(stats: GenerationStats | None) -> str:
    return "length" if stats is not None and stats.finish_reason == "length" else "stop"


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
        message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.answer)}
        if reply.thinking:
            message["reasoning_content"] = "".join(reply.thinking)
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
                    "finish_reason": finish_reason(reply.stats),
                }
            ],
            "usage": usage(reply.stats),
        }

    async def stream(
        self, turn: Turn, events: AsyncIterator[Event]
    ) -> AsyncIterator[ServerSentEvent]:
        yield self._chunk(turn, {"role": "assistant", "content": ""})
        async for item in events:
            if isinstance(item, Text):
                field = "content" if item.kind == "answer" else "reasoning_content"
                yield self._chunk(turn, {field: item.text})
            elif isinstance(item, Ended):
                yield self._chunk(turn, {}, finish_reason(item.stats))
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
