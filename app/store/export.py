"""Exporting a conversation: Markdown to read or share, JSON to keep everything.

Markdown holds the visible chat (the active path) with the title, model and roles. JSON
holds the conversation, every message of every version with all stored fields, and the
ids of the active path; ``format`` and ``format_version`` let a later Hearth read it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone

from app.store.conversations import ConversationStore
from app.store.records import Message

JSON_FORMAT = "hearth.conversation"
JSON_FORMAT_VERSION = 1

_ROLE_HEADINGS = {"system": "System", "user": "You", "assistant": "Assistant"}
# Said under a reply that did not finish, so a reader knows it is partial.
_STATUS_NOTES = {
    "streaming": "(reply still being written when exported)",
    "stopped": "(reply stopped)",
    "interrupted": "(reply interrupted)",
    "error": "(reply failed)",
}


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def _markdown_message(message: Message, include_thinking: bool) -> str:
    heading = _ROLE_HEADINGS.get(message.role, message.role.capitalize())
    if message.role == "assistant" and message.model:
        heading += f" ({message.model})"
    parts = [f"### {heading}", ""]
    if include_thinking and message.reasoning:
        quoted = "\n".join(f"> {line}" if line else ">" for line in message.reasoning.splitlines())
        parts += ["> **Thinking**", ">", quoted, ""]
    parts.append(message.content)
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
