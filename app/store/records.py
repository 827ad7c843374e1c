"""Plain records the store hands out: conversations, messages, model settings, search hits.

These are ordinary dataclasses with no database behaviour, so the UI, the CLI and the
engine can pass them around (and across threads) freely. They are snapshots: changing a
field changes nothing on disk; call the store for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

MessageStatus = Literal["complete", "streaming", "stopped", "interrupted", "error"]
"""Where a message stands.

``complete``: finished normally. ``streaming``: the reply is being written right now.
``stopped``: the user pressed Stop. ``interrupted``: the app ended (crash, power cut) while
it streamed; set at the next start by :meth:`ConversationStore.mark_interrupted`.
``error``: generation failed; the message's ``error`` says why.
"""

MessageRole = Literal["system", "user", "assistant"]

MESSAGE_STATUSES: frozenset[str] = frozenset(get_args(MessageStatus))
MESSAGE_ROLES: frozenset[str] = frozenset(get_args(MessageRole))


@dataclass
class Conversation:
    """One chat. ``current_leaf_id`` ends the visible path (``None`` while empty)."""

    id: int
    title: str
    model: str | None
    created_at: float
    updated_at: float
    current_leaf_id: int | None
    # Set while the conversation sits in the bin (soft-deleted, still restorable).
    deleted_at: float | None = None
    # This chat's thinking switches; None follows the model's settings.
    thinking: bool | None = None
    effort: str | None = None


@dataclass
class Message:
    """One message in a conversation's tree; times are Unix seconds."""

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    model: str | None
    created_at: float
    updated_at: float
    status: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_ms: float | None
    tokens_per_s: float | None
    error: str | None
    # The model's thinking before its answer ("" if none); ``content`` is the answer.
    reasoning: str = ""
    # How long the model thought before answering, in milliseconds.
    thinking_ms: float | None = None


@dataclass
class ModelSettings:
    """What the user chose for one model; the defaults apply until they save something.

    ``gpu_layers=None`` means "decide automatically"; ``context_length=None`` means the
    model's own default; ``seed=None`` means a fresh random seed each reply.
    """

    model_key: str
    system_prompt: str = ""
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int | None = None
    max_tokens: int = 1024
    context_length: int | None = None
    gpu_layers: int | None = None
    chat_template_override: str | None = None
    # Thinking on/off and effort (low/medium/high); None keeps the model's own default.
    thinking: bool | None = None
    effort: str | None = None
    # A GBNF grammar every reply must follow (None: free text).
    grammar: str | None = None


@dataclass
class SearchHit:
    """A message that matched a search, with enough to open the chat and jump to it."""

    conversation_id: int
    message_id: int
    conversation_title: str
    role: str
    snippet: str
