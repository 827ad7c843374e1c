"""Plain records the store hands out: conversations, messages, model settings, search hits.

These are ordinary dataclasses with no database behaviour, so the UI, the CLI and the
engine can pass them around (and across threads) freely. They are snapshots: changing a
field changes nothing on disk; call the store for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

MessageStatus = Literal["complete", "streaming", "stopped", "interrupted", "error"]
"""Where a message stands.

``complete``: finished normally. ``streaming``: the reply is being written right now.
``stopped``: the user pressed Stop. ``interrupted``: the app ended (crash, power cut) while
it streamed; set at the next start by :meth:`ConversationStore.mark_interrupted`.
``error``: generation failed; the message's ``error`` says why.
"""

MessageRole = Literal["system", "user", "assistant", "tool"]
"""``tool``: the result of one tool call, answering a call of the assistant turn before."""

ToolOutcome = Literal["ok", "error", "invalid", "declined", "skipped"]
"""How a tool call went, on its tool message.

``ok``: the tool ran. ``error``: it ran, or tried to, and failed (the text says how).
``invalid``: the model botched the call (not JSON, no name), so nothing ran.
``declined``: the user said no. ``skipped``: never run (Stop, or the reply's limit of
tool rounds).
"""

MESSAGE_STATUSES: frozenset[str] = frozenset(get_args(MessageStatus))
MESSAGE_ROLES: frozenset[str] = frozenset(get_args(MessageRole))
TOOL_OUTCOMES: frozenset[str] = frozenset(get_args(ToolOutcome))


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
    # The tools this chat offers, names joined by commas ("" none, None: the model's).
    tools: str | None = None


@dataclass(frozen=True)
class StoredToolCall:
    """A tool call an assistant turn made, as stored.

    arguments: the decoded JSON object; None for a call the model botched, whose
    ``error`` says why and whose ``raw`` holds what it wrote.
    """

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw: str = ""
    error: str | None = None


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
    # An assistant turn's tool calls, in the order it made them (empty: none).
    tool_calls: tuple[StoredToolCall, ...] = ()
    # A tool message's call id, tool name, outcome (see ToolOutcome) and the local
    # picture files the tool made (shown in the chat, never fetched).
    tool_call_id: str | None = None
    tool_name: str | None = None
    tool_outcome: str | None = None
    tool_images: tuple[str, ...] = field(default=())


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
    # The tools a reply offers, names joined by commas (None or "": none), and "auto"
    # or "required" (the reply must begin with a call; None: auto).
    tools: str | None = None
    tool_choice: str | None = None
    # The KV cache's element type: "q8_0" or "q4_0" saves memory (None: f16).
    kv_cache_type: str | None = None
    # Speculative decoding: "off", "lookup" or "draft" (None: the default), and the
    # draft model's key (for "draft").
    speculative: str | None = None
    draft_model: str | None = None


@dataclass
class SearchHit:
    """A message that matched a search, with enough to open the chat and jump to it."""

    conversation_id: int
    message_id: int
    conversation_title: str
    role: str
    snippet: str
