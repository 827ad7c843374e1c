"""Builds the message list the engine sees from a stored conversation."""

from __future__ import annotations

from collections.abc import Iterable

from app.store.records import Message


def prompt_messages(system_prompt: str, path: Iterable[Message]) -> list[dict[str, str]]:
    """The custom instructions first, then every user and assistant turn with text."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
    for message in path:
        if message.role in ("user", "assistant") and message.content:
            messages.append({"role": message.role, "content": message.content})
    return messages
