"""What goes over the wire to an OpenAI-compatible server and what comes back, as data.

No network here: :func:`chat_body` builds a ``/chat/completions`` request from the messages
and settings the engine is given; :class:`StreamReader` turns the server-sent event lines
of a streamed reply into :class:`Delta` items, the reply's usage and its finish reason;
:func:`error_detail` reads the reason out of an error response, whatever shape the server
gives it (OpenAI's ``{"error": {"message"}}``, FastAPI's ``{"detail"}``, plain text).

Only the standard sampling fields are sent (temperature, top_p, max_tokens, seed, stop),
so any compatible server takes the request. A saved grammar goes as ``grammar`` (the field
llama.cpp's servers read) and only when no tools are offered.

Thinking switches go the two ways servers take them: ``enable_thinking`` as
``chat_template_kwargs`` (llama.cpp's server, vLLM, SGLang, Hearth: the template reads it),
``reasoning_effort`` as itself (OpenAI's field, which those servers pass on too). Only
switches the user set are sent. Offered tools go with ``tool_choice``: the one asked for,
else ``required`` when the caller gives a grammar with them (the chat's "the model must
call a tool", which a remote model cannot be given as a grammar).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.protocol import TOOL_CHOICE, FinishReason, SamplingParams
from app.engine.tool_calls import ToolCall, new_call_id

# The OpenAI API takes at most this many stop strings.
MAX_STOP = 4
# How much of an error body is read for its message.
ERROR_BODY_LIMIT = 64 * 1024


def chat_body(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    sampling: SamplingParams,
    *,
    stop: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    grammar: str | None = None,
) -> dict[str, Any]:
    """The JSON body of a streamed chat completion request."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [_wire_message(message) for message in messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
    }
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if stop:
        body["stop"] = list(stop)[:MAX_STOP]
    options = options or {}
    tools = options.get("tools")
    if tools:
        body["tools"] = list(tools)
        choice = required_choice(options, grammar)
        if choice is not None:
            body["tool_choice"] = choice
    elif grammar:
        body["grammar"] = grammar
    thinking = options.get("enable_thinking")
    if isinstance(thinking, bool):
        body["chat_template_kwargs"] = {"enable_thinking": thinking}
    effort = options.get("reasoning_effort")
    if effort:
        body["reasoning_effort"] = effort
    return body


def required_choice(options: Mapping[str, Any], grammar: str | None) -> Any:
    """The ``tool_choice`` to send with offered tools (None: the server's default)."""
    asked = options.get(TOOL_CHOICE)
    if asked is not None:
        return asked
    return "required" if grammar else None


def must_call(options: Mapping[str, Any] | None, grammar: str | None) -> bool:
    """Whether the reply must be a tool call (the server was told so)."""
    if not options or not options.get("tools"):
        return False
    return required_choice(options, grammar) not in (None, "auto", "none")


def _wire_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One message as the API takes it: thinking left out (the server's template decides
    what a model sees of its past thoughts), call arguments as JSON text."""
    role = message.get("role", "user")
    entry: dict[str, Any] = {"role": role, "content": message.get("content") or ""}
    if role == "assistant" and message.get("tool_calls"):
        entry["tool_calls"] = [_wire_call(call) for call in message["tool_calls"]]
    if role == "tool":
        entry["tool_call_id"] = message.get("tool_call_id", "")
    return entry


def _wire_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {
        "id": call.get("id") or new_call_id(),
        "type": "function",
        "function": {"name": function.get("name", ""), "arguments": arguments},
    }


@dataclass(frozen=True)
class Delta:
    """Text of one streamed chunk: ``content`` (the answer, maybe with ``<think>`` tags)
    and ``reasoning`` (thinking the server sent apart, as ``reasoning_content``)."""

    content: str = ""
    reasoning: str = ""


@dataclass(frozen=True)
class Usage:
    """The token counts a server reports (and llama.cpp's speeds, where it sends them)."""

    prompt_tokens: int
    completion_tokens: int
    prompt_per_s: float | None = None
    predicted_per_s: float | None = None


@dataclass
class _CallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamReader:
    """Reads one streamed reply, line by line (``data: {...}`` events)."""

    def __init__(self) -> None:
        self.done = False  # the server said ``[DONE]``
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.text_chunks = 0  # chunks that carried text: one token each on most servers
        self._calls: dict[int, _CallParts] = {}

    def line(self, line: str) -> Delta | None:
        """The text in one line of the stream, if any. Raises ValueError on a line that
        is not JSON, or an error the server sent in the stream."""
        if not line.startswith("data:"):
            return None  # blank separators, comments (": ping"), "event:" names
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return None
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise ValueError("the server sent something that is not a reply chunk")
        if "error" in chunk:
            raise ValueError(error_detail(chunk) or "the server reported an error")
        self._read_usage(chunk)
        choices = chunk.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return None
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            return None
        for call in delta.get("tool_calls") or []:
            self._add_call_part(call)
        content = delta.get("content") or ""
        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        if not isinstance(content, str) or not isinstance(reasoning, str):
            return None
        if not content and not reasoning:
            return None
        self.text_chunks += 1
        return Delta(content, reasoning)

    def calls(self) -> list[ToolCall]:
        """The tool calls the reply made, complete once the stream has ended."""
        made = []
        for _index, parts in sorted(self._calls.items()):
            raw = "".join(parts.arguments)
            call_id = parts.id or new_call_id()
            try:
                arguments = json.loads(raw) if raw.strip() else {}
            except ValueError:
                arguments = None
            if not isinstance(arguments, dict):
                error = f"The arguments of the call to {parts.name!r} are not a JSON object."
                made.append(ToolCall(parts.name, None, raw, error, call_id))
            else:
                made.append(ToolCall(parts.name, arguments, raw, None, call_id))
        return made

    @property
    def finish(self) -> FinishReason:
        if self.finish_reason == "length":
            return "length"
        if self._calls:
            return "tool_calls"
        return "stop"

    def _read_usage(self, chunk: Mapping[str, Any]) -> None:
        usage = chunk.get("usage")
        timings = chunk.get("timings")  # llama-server's own figures
        if isinstance(usage, dict):
            self.usage = Usage(
                _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
            )
        if isinstance(timings, dict):
            base = self.usage or Usage(
                _count(timings.get("prompt_n")), _count(timings.get("predicted_n"))
            )
            self.usage = Usage(
                base.prompt_tokens,
                base.completion_tokens,
                _rate(timings.get("prompt_per_second")),
                _rate(timings.get("predicted_per_second")),
            )

    def _add_call_part(self, call: Any) -> None:
        if not isinstance(call, dict):
            return
        index = call.get("index", len(self._calls))
        parts = self._calls.setdefault(index if isinstance(index, int) else 0, _CallParts())
        if call.get("id"):
            parts.id = str(call["id"])
        function = call.get("function") or {}
        if isinstance(function, dict):
            if function.get("name"):
                parts.name += str(function["name"])
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                parts.arguments.append(arguments)


def model_ids(listing: Any) -> list[tuple[str, int]]:
    """The models a ``GET /models`` answer lists: each id, with its context length where
    the server says it (vLLM's ``max_model_len``, llama-server's ``meta.n_ctx_train``,
    ``context_length``), else 0."""
    entries = listing.get("data") if isinstance(listing, dict) else listing
    if not isinstance(entries, list):
        raise ValueError("the server's model list is not a list")
    found = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
            context = (
                entry.get("max_model_len")
                or entry.get("context_length")
                or (meta or {}).get("n_ctx_train")
                or 0
            )
            found.append((entry["id"], _count(context)))
    return found


def error_detail(body: Any) -> str:
    """The reason in an error body (parsed JSON, or text), in one line ("" if none)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return _one_line(str(error["message"]))
        if isinstance(error, str):
            return _one_line(error)
        for name in ("detail", "message"):
            value = body.get(name)
            if isinstance(value, str):
                return _one_line(value)
            if value:
                return _one_line(json.dumps(value))
        return ""
    if isinstance(body, str):
        return _one_line(body)
    return ""


def parse_error_body(raw: bytes) -> str:
    """:func:`error_detail` of raw response bytes."""
    text = raw[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    try:
        return error_detail(json.loads(text))
    except ValueError:
        return _one_line(text)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


__all__ = [
    "Delta",
    "StreamReader",
    "Usage",
    "chat_body",
    "error_detail",
    "model_ids",
    "parse_error_body",
]
