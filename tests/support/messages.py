"""Messages as the store returns them, made without a database for widget and rule tests."""

from __future__ import annotations

from typing import Any

from app.store.records import Message


def stored_message(**fields: Any) -> Message:
    """A message: by default message 0 of conversation 1, a complete, empty user turn with
    no parent and no figures; ``fields`` set any of :class:`Message`'s fields."""
    defaults: dict[str, Any] = {
        "id": 0,
        "conversation_id": 1,
        "parent_id": None,
        "role": "user",
        "content": "",
        "model": None,
        "created_at": 0.0,
        "updated_at": 0.0,
        "status": "complete",
        "prompt_tokens": None,
        "completion_tokens": None,
        "ttft_ms": None,
        "tokens_per_s": None,
        "error": None,
    }
    return Message(**{**defaults, **fields})
