"""Puts a conversation into the shape every chat template accepts.

Templates that enforce alternation (Mistral, Gemma) refuse two user turns in a row,
which a stopped or failed reply with no text leaves behind. So before rendering, turns
with nothing to say are dropped and consecutive turns of one role are merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Roles whose consecutive turns are one turn split in two. Tool results are not merged:
# each answers its own call.
_MERGED_ROLES = frozenset({"system", "user", "assistant"})


def normalize_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The conversation without empty turns, consecutive turns of one role merged.

    Merged contents are joined by a blank line; a merged assistant turn keeps the later
    thinking (``reasoning_content``) if any. The input is never changed.
    """
    result: list[dict[str, Any]] = []
    for message in messages:
        if _is_empty(message):
            continue
        previous = result[-1] if result else None
        if previous is not None and _mergeable(previous, message):
            previous["content"] = previous["content"] + "\n\n" + message["content"]
            if message.get("reasoning_content"):
                previous["reasoning_content"] = message["reasoning_content"]
            continue
        result.append(dict(message))
    return result


def _is_empty(message: Mapping[str, Any]) -> bool:
    """A turn with no text (thinking alone does not count) and no tool call."""
    content = message.get("content")
    if message.get("tool_calls"):
        return False
    return content is None or (isinstance(content, str) and not content.strip())


def _mergeable(previous: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
    return (
        previous.get("role") == message.get("role")
        and message.get("role") in _MERGED_ROLES
        and isinstance(previous.get("content"), str)
        and isinstance(message.get("content"), str)
        and not previous.get("tool_calls")
        and not message.get("tool_calls")
    )
