"""Replies in Anthropic's Messages shape, whole and streamed.

Thinking is a ``thinking`` content block before the ``text`` block (with an empty
signature: nothing here signs it). A stream sends ``message_start``, each block's
start, deltas and stop, then ``message_delta`` with the stop reason and
``message_stop``, as Anthropic's API does.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import ServerSentEvent

from app.engine.protocol import GenerationStats
from app.server.backend import Turn
from app.server.reply import Ended, Event, Failed, Text
from app.server.serving import Collected
from app.server.sse import event


def stop_reason(stats: GenerationStats | None) -> str:
    return "max_tokens" if stats is not None and stats.finish_reason == "length" else "end_turn"


class MessagesFormat:
    def __init__(self) -> None:
        self.id = f"msg_{uuid.uuid4().hex[:24]}"

    def whole(self, reply: Collected) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.thinking:
            content.append(
                {"type": "thinking", "thinking": "".join(reply.thinking), "signature": ""}
            )
        content.append({"type": "text", "text": "".join(reply.answer)})
        stats = reply.stats
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": reply.turn.model_id,
            "content": content,
            "stop_reason": stop_reason(stats),
            "stop_sequence": None,
            "usage": {
                "input_tokens": stats.prompt_tokens if stats else reply.turn.prompt_tokens,
                "output_tokens": stats.completion_tokens if stats else 0,
            },
        }

    async def stream(
        self, turn: Turn, events: AsyncIterator[Event]
    ) -> AsyncIterator[ServerSentEvent]:
        yield _named(
            {
                "type": "message_start",
                "message": {
                    "id": self.id,
                    "type": "message",
                    "role": "assistant",
                    "model": turn.model_id,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": turn.prompt_tokens, "output_tokens": 0},
                },
            }
        )
        blocks = _Blocks()
        async for item in events:
            if isinstance(item, Text):
                for out in blocks.add(item.kind, item.text):
                    yield out
            elif isinstance(item, Ended):
                for out in blocks.close(ensure_text=True):
                    yield out
                yield _named(
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop_reason(item.stats), "stop_sequence": None},
                        "usage": {"output_tokens": item.stats.completion_tokens},
                    }
                )
                yield _named({"type": "message_stop"})
            elif isinstance(item, Failed):
                yield _named(item.error.anthropic_body())


class _Blocks:
    """The content blocks of a streamed message: opened as text of a new kind comes."""

    def __init__(self) -> None:
        self.index = -1
        self.kind: str | None = None
        self.had_text = False

    def add(self, kind: str, text: str) -> list[ServerSentEvent]:
        out = []
        if kind != self.kind:
            out += self.close()
            out.append(self._start(kind))
        if kind == "answer":
            delta = {"type": "text_delta", "text": text}
        else:
            delta = {"type": "thinking_delta", "thinking": text}
        out.append(_named({"type": "content_block_delta", "index": self.index, "delta": delta}))
        return out

    def close(self, ensure_text: bool = False) -> list[ServerSentEvent]:
        out = []
        if ensure_text and not self.had_text and self.kind != "answer":
            out += self.close()
            out.append(self._start("answer"))
        if self.kind is not None:
            if self.kind == "thinking":
                signature = {"type": "signature_delta", "signature": ""}
                out.append(
                    _named({"type": "content_block_delta", "index": self.index, "delta": signature})
                )
            out.append(_named({"type": "content_block_stop", "index": self.index}))
            self.kind = None
        return out

    def _start(self, kind: str) -> ServerSentEvent:
        self.index += 1
        self.kind = kind
        if kind == "answer":
            self.had_text = True
            block: dict[str, Any] = {"type": "text", "text": ""}
        else:
            block = {"type": "thinking", "thinking": "", "signature": ""}
        return _named({"type": "content_block_start", "index": self.index, "content_block": block})


def _named(data: dict[str, Any]) -> ServerSentEvent:
    """An event named after its type, as Anthropic's stream has it."""
    return event(data, str(data["type"]))
