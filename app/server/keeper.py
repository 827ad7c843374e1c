"""Keeps the server's requests and replies as chats, when the user turned that on.

API clients send the whole history with every request. A request that continues a
conversation this server kept (its history is that conversation so far) adds its new
turns to it, rather than starting a copy; anything else starts a new conversation,
titled "API: " and its first question. The link from histories to conversations lives
in memory, so after a restart a continued chat starts a new conversation.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from app.engine.protocol import GenerationStats
from app.store.conversations import ConversationStore

TITLE_PREFIX = "API: "
TITLE_LENGTH = 60
# Conversations remembered for continuing (the most recent ones).
REMEMBERED = 256


class ConversationKeeper:
    """Stores API exchanges in the conversation store. Thread-safe."""

    def __init__(self, conversations: ConversationStore) -> None:
        self._conversations = conversations
        self._lock = threading.Lock()
        # Fingerprint of a kept history -> (conversation id, id of its last message).
        self._ends: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def keep(
        self,
        messages: Sequence[dict[str, Any]],
        answer: str,
        thinking: str,
        stats: GenerationStats,
        model: str | None,
    ) -> int:
        """Stores the exchange; returns the conversation's id."""
        turns = [(m["role"], m["content"]) for m in messages if m["role"] in ("user", "assistant")]
        with self._lock:
            start, place = self._continued(turns)
            if place is None:
                first = next((content for role, content in turns if role == "user"), "")
                title = TITLE_PREFIX + (first.strip().splitlines() or ["chat"])[0][:TITLE_LENGTH]
                conversation_id = self._conversations.create_conversation(title, model).id
                parent: int | None = None
            else:
                conversation_id, parent = place
            for role, content in turns[start:]:
                parent = self._conversations.add_message(
                    conversation_id,
                    parent,
                    role,
                    content,
                    model=model if role == "assistant" else None,
                ).id
            reply = self._conversations.add_message(
                conversation_id, parent, "assistant", answer, model=model
            )
            self._conversations.update_message(
                reply.id,
                reasoning=thinking,
                status="stopped" if stats.finish_reason == "cancelled" else "complete",
                prompt_tokens=stats.prompt_tokens or None,
                completion_tokens=stats.completion_tokens,
                ttft_ms=stats.ttft_ms,
                tokens_per_s=stats.tokens_per_s,
            )
            self._remember(_fingerprint([*turns, ("assistant", answer)]), conversation_id, reply.id)
            return conversation_id

    def _continued(self, turns: list[tuple[str, str]]) -> tuple[int, tuple[int, int] | None]:
        """How many turns a kept conversation already holds, and where it ends."""
        for length in range(len(turns) - 1, 0, -1):
            if turns[length - 1][0] != "assistant":  # a kept history ends with a reply
                continue
            place = self._ends.get(_fingerprint(turns[:length]))
            if place is not None:
                return length, place
        return 0, None

    def _remember(self, fingerprint: str, conversation_id: int, message_id: int) -> None:
        self._ends[fingerprint] = (conversation_id, message_id)
        self._ends.move_to_end(fingerprint)
        while len(self._ends) > REMEMBERED:
            self._ends.popitem(last=False)


def _fingerprint(turns: Sequence[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(list(turns)).encode("utf-8")).hexdigest()
