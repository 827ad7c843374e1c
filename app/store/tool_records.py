"""How tool calls and a tool's pictures are kept in the messages table: JSON text.

An assistant turn's calls are one JSON list in ``messages.tool_calls``; a tool message's
pictures one JSON list of paths in ``messages.tool_images``. Reading is forgiving: a
value that cannot be read (edited by hand, say) reads as nothing rather than failing
the whole conversation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from app.store.records import StoredToolCall

log = logging.getLogger(__name__)


def encode_calls(calls: Sequence[StoredToolCall]) -> str | None:
    """The calls as stored (None for none)."""
    if not calls:
        return None
    return json.dumps(
        [
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "raw": call.raw,
                "error": call.error,
            }
            for call in calls
        ],
        ensure_ascii=False,
    )


def decode_calls(text: str | None) -> tuple[StoredToolCall, ...]:
    if not text:
        return ()
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        log.warning("unreadable tool calls in the store: %.80s", text)
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(call for call in map(_call, items) if call is not None)


def _call(item: Any) -> StoredToolCall | None:
    if not isinstance(item, dict):
        return None
    arguments = item.get("arguments")
    error = item.get("error")
    return StoredToolCall(
        id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        arguments=arguments if isinstance(arguments, dict) else None,
        raw=str(item.get("raw") or ""),
        error=str(error) if error else None,
    )


def encode_images(paths: Sequence[str]) -> str | None:
    return json.dumps(list(paths), ensure_ascii=False) if paths else None


def decode_images(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return ()
    return tuple(item for item in items if isinstance(item, str)) if isinstance(items, list) else ()
