"""Builds the message list the engine sees from a stored conversation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.chat.untrusted import as_tool_data
from app.store.records import Message, StoredToolCall

# A call whose result was never stored (Hearth ended between the call and its run).
NOT_RUN = "The call did not run: Hearth stopped before running it."
# Outcomes whose text is Hearth's own note about the call; any other text came from the
# tool (or may have) and is sent as data.
_HEARTHS_NOTES = frozenset({"invalid", "declined", "skipped"})


def prompt_messages(system_prompt: str, path: Iterable[Message]) -> list[dict[str, Any]]:
    """The custom instructions first, then every user and assistant turn with text, and
    the tool calls and results of the turns that used tools.

    A reply's thinking goes back as ``reasoning_content`` (templates that read it decide
    what to keep), never as answer text. Turns with no text are left out, so a stopped
    or failed empty reply never leaves two questions in a row; a turn that made tool
    calls is kept, with its calls as ``tool_calls`` (arguments as an object), and each
    result follows as a ``tool`` message, delimited as data (see ``app.chat.untrusted``).
    A call whose result is missing gets one saying it did not run, so every call the
    model sees is answered.
    """
    messages: list[dict[str, Any]] = (
        [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
    )
    unanswered: list[StoredToolCall] = []
    for message in path:
        if message.role == "tool":
            unanswered = [call for call in unanswered if call.id != message.tool_call_id]
            messages.append(_tool_message(message))
            continue
        messages += [_not_run(call) for call in unanswered]
        unanswered = []
        if message.role not in ("user", "assistant"):
            continue
        if not message.content and not message.tool_calls:
            continue
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.reasoning:
            entry["reasoning_content"] = message.reasoning
        if message.role == "assistant" and message.tool_calls:
            entry["tool_calls"] = [_call_entry(call) for call in message.tool_calls]
            unanswered = list(message.tool_calls)
        messages.append(entry)
    messages += [_not_run(call) for call in unanswered]
    return messages


def _call_entry(call: StoredToolCall) -> dict[str, Any]:
    """A call the way templates read it (OpenAI's shape); a botched call's arguments are
    an empty object, its tool message says what was wrong."""
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": dict(call.arguments or {})},
    }


def _tool_message(message: Message) -> dict[str, Any]:
    name = message.tool_name or ""
    text = message.content
    if message.tool_outcome not in _HEARTHS_NOTES:
        text = as_tool_data(name, text)
    return {
        "role": "tool",
        "tool_call_id": message.tool_call_id or "",
        "name": name,
        "content": text,
    }


def _not_run(call: StoredToolCall) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": NOT_RUN}
