"""Exporting a conversation: Markdown to read or share, JSON to keep everything.

Markdown holds the visible chat (the active path) with the title, model and roles; a
reply's tool calls are listed under it with their arguments, and each tool's result
follows in a fenced block (it is data, shown as it came). JSON holds the conversation,
every message of every version with all stored fields (tool calls and results too), and
the ids of the active path; ``format`` and ``format_version`` let a later Hearth read it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime, timezone

from app.store.conversations import ConversationStore
from app.store.records import Message, StoredToolCall

JSON_FORMAT = "hearth.conversation"
# 2: messages carry tool calls, and tool results are messages of role "tool".
JSON_FORMAT_VERSION = 2

_ROLE_HEADINGS = {"system": "System", "user": "You", "assistant": "Assistant", "tool": "Tool"}
_OUTCOME_NOTES = {
    "error": "(the tool failed)",
    "invalid": "(the call could not be read)",
    "declined": "(declined by the user)",
    "skipped": "(not run)",
}
# Said under a reply that did not finish, so a reader knows it is partial.
_STATUS_NOTES = {
    "streaming": "(reply still being written when exported)",
    "stopped": "(reply stopped)",
    "interrupted": "(reply interrupted)",
    "error": "(reply failed)",
}


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def _fenced(text: str, info: str = "") -> str:
    """text in a code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _markdown_call(call: StoredToolCall) -> str:
    if call.arguments is None:
        return f"**Tool call: {call.name or '(unreadable)'}**\n\n{_fenced(call.raw)}"
    arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2)
    return f"**Tool call: {call.name}**\n\n{_fenced(arguments, 'json')}"


def _markdown_message(message: Message, include_thinking: bool) -> str:
    heading = _ROLE_HEADINGS.get(message.role, message.role.capitalize())
    if message.role == "assistant" and message.model:
        heading += f" ({message.model})"
    if message.role == "tool":
        heading = f"Tool result ({message.tool_name or 'unknown tool'})"
    parts = [f"### {heading}", ""]
    if include_thinking and message.reasoning:
        quoted = "\n".join(f"> {line}" if line else ">" for line in message.reasoning.splitlines())
        parts += ["> **Thinking**", ">", quoted, ""]
    if message.role == "tool":
        note = _OUTCOME_NOTES.get(message.tool_outcome or "")
        if note:
            parts += [f"*{note}*", ""]
        parts.append(_fenced(message.content))
        parts += [f"\n*Picture: {path}*" for path in message.tool_images]
        return "\n".join(parts)
    body = [message.content] if message.content or not message.tool_calls else []
    body += [_markdown_call(call) for call in message.tool_calls]
    parts.append("\n\n".join(body))
    note = _STATUS_NOTES.get(message.status)
    if note:
        detail = f": {message.error}" if message.error else ""
        parts += ["", f"*{note}{detail}*"]
    return "\n".join(parts)


def export_markdown(
    store: ConversationStore, conversation_id: int, *, include_thinking: bool = False
) -> str:
    """The visible chat as Markdown: title, model and date, then each message by role.

    Message text is written as it is (it usually is Markdown already). A reply's
    thinking is left out unless ``include_thinking``, then shown as a quote above it.
    """
    conversation = store.get_conversation(conversation_id)
    path = store.active_path(conversation_id)
    header = [f"# {conversation.title}", ""]
    if conversation.model:
        header.append(f"- Model: {conversation.model}")
    header.append(f"- Started: {_iso(conversation.created_at)}")
    header.append(f"- Exported from Hearth: {_iso(datetime.now(tz=timezone.utc).timestamp())}")
    blocks = ["\n".join(header)] + [
        _markdown_message(message, include_thinking) for message in path
    ]
    return "\n\n".join(blocks) + "\n"


def export_json(store: ConversationStore, conversation_id: int) -> str:
    """The whole conversation as JSON: all fields, all versions, and the active path."""
    conversation = store.get_conversation(conversation_id)
    messages = store.list_messages(conversation_id)
    path = store.active_path(conversation_id)
    document = {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "exported_at": datetime.now(tz=timezone.utc).timestamp(),
        "conversation": asdict(conversation),
        "active_path": [message.id for message in path],
        "messages": [asdict(message) for message in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
