"""Replies in Anthropic's Messages shape, whole and streamed.

Thinking is a ``thinking`` content block before the ``text`` block (with an empty
signature: nothing here signs it). A stream sends ``message_start``, each block's
start, deltas and stop, then ``message_delta`` with the stop reason and
``message_stop``, as Anthropic's API does. Each tool call the model made is a
``tool_use`` block (streamed as its start, one ``input_json_delta`` and its stop), and the
stop reason is then ``tool_use``. A call the model botched (arguments that are not an
object) goes out as text.
"""

from __future__ import annotations

import json
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


def stop_reason(stats: GenerationStats | None, called: bool = False) -> str:
    if stats is not None and stats.finish_reason == "length":
        return "max_tokens"
    return "tool_use" if called else "end_turn"


def _usable(call: ToolCall) -> bool:
    return bool(call.name) and call.arguments is not None


def _tool_use(call: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}


class MessagesFormat:
    def __init__(self) -> None:
        self.id = f"msg_{uuid.uuid4().hex[:24]}"

    def whole(self, reply: Collected) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.thinking:
            content.append(
                {"type": "thinking", "thinking": "".join(reply.thinking), "signature": ""}
            )
        answer = "".join(reply.answer) + "".join(c.raw for c in reply.calls if not _usable(c))
        calls = [_tool_use(call) for call in reply.calls if _usable(call)]
        if answer or not calls:
            content.append({"type": "text", "text": answer})
        content += calls
        stats = reply.stats
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": reply.turn.model_id,
            "content": content,
            "stop_reason": stop_reason(stats, bool(calls)),
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
            elif isinstance(item, Call) and not _usable(item.call):
                for out in blocks.add("answer", item.call.raw):
                    yield out
            elif isinstance(item, Call):
                for out in blocks.call(item.call):
                    yield out
            elif isinstance(item, Ended):
                for out in blocks.close(ensure_text=not blocks.calls):
                    yield out
                reason = stop_reason(item.stats, blocks.calls > 0)
                yield _named(
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": reason, "stop_sequence": None},
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
        self.calls = 0

    def call(self, call: ToolCall) -> list[ServerSentEvent]:
        """A tool_use block, whole: its start, its input as one JSON delta, its stop."""
        out = self.close()
        self.index += 1
        self.calls += 1
        start = {**_tool_use(call), "input": {}}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(call.arguments)}
        out.append(
            _named({"type": "content_block_start", "index": self.index, "content_block": start})
        )
        out.append(_named({"type": "content_block_delta", "index": self.index, "delta": delta}))
        out.append(_named({"type": "content_block_stop", "index": self.index}))
        return out

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
