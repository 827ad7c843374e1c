"""What one API request asks the engine for, whichever API it came through."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.engine.protocol import SamplingParams
from app.server.tools import ToolOffer


@dataclass(frozen=True)
class ChatJob:
    """A reply to generate: the messages in the engine's shape and how to sample."""

    model: str | None  # the model the request names (None: whichever is loaded)
    messages: list[dict[str, Any]]
    stream: bool = False
    # Sampling the request sets, by SamplingParams field name; the rest are the model's.
    sampling: dict[str, Any] = field(default_factory=dict)
    stop: tuple[str, ...] = ()
    grammar: str | None = None  # GBNF, from response_format
    # Template switches asked for (enable_thinking, reasoning_effort); only those the
    # loaded model's template offers are passed on.
    options: dict[str, Any] = field(default_factory=dict)
    include_usage: bool = False  # stream_options.include_usage
    # The tools the client offers and whether a call is required (None: no tools).
    tools: ToolOffer | None = None
    # POST /v1/completions: the prompt as written, continued without a chat template
    # (``messages`` is then empty).
    raw_prompt: str | None = None

    def sampling_over(self, base: SamplingParams) -> SamplingParams:
        """The model's saved sampling with this request's choices on top."""
        return replace(base, **self.sampling)
