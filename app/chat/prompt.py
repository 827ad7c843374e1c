"""Builds the message list the engine sees from a stored conversation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.store.records import Message


def prompt_messages(system_prompt: str, path: Iterable[Message]) -> list[dict[str, Any]]:
    """The custom instructions first, then every user and assistant turn with text.

    A reply's thinking goes back as ``reasoning_content`` (templates that read it decide
    what to keep), never as answer text. Turns with no text are left out, so a stopped
    or failed empty reply never leaves two questions in a row.
    """
    messages: list[dict[str, Any]] = (
        [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
    )
    for message in path:
        if message.role not in ("user", "assistant") or not message.content:
            continue
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.role == "assistant" and message.reasoning:
            entry["reasoning_content"] = message.reasoning
        messages.append(entry)
    return messages
