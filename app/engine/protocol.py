"""The messages that pass between Hearth and an engine host process.

Plain dataclasses, pickled over a multiprocessing pipe. Requests go to the host;
events come back. Every generation carries an id so a late event from a cancelled
request can never be mistaken for the next one's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinishReason = Literal["stop", "length", "cancelled", "tool_calls"]
# What a piece of a reply is: the answer itself, or the model's thinking before it.
TextKind = Literal["answer", "thinking"]


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int | None = None
    max_tokens: int = 1024


@dataclass(frozen=True)
class RemoteTarget:
    """A model on another machine's OpenAI-compatible server (see ``app.engine.remote``).

    server: the name the user gave the server. base_url: its API root (``.../v1``).
    model: the model id the server lists ("" when only listing). api_key: sent as a
    bearer token, never shown. timeout_s: how long the server may stay silent.
    """

    server: str
    base_url: str
    model: str = ""
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 120.0


@dataclass(frozen=True)
class LoadRequest:
    model_path: str
    n_ctx: int = 4096
    n_gpu_layers: int = 0
    chat_template_override: str | None = None
    n_threads: int | None = None
    n_batch: int = 512
    flash_attn: bool = False
    # The KV cache's element type ("f16", "q8_0", "q4_0"); quantized needs flash_attn.
    kv_type: str = "f16"
    log_path: str | None = None
    # Why this many layers go to the GPU, in plain words (shown to the user).
    offload_reason: str = ""
    # The new model needs the memory the loaded one holds: end that one before starting.
    end_previous_first: bool = False
    # A model on a remote server (model_path is then its ``remote:SERVER/MODEL``
    # reference): no host process starts, replies go over HTTP.
    remote: RemoteTarget | None = None
    # Speculative decoding ("off", "lookup": prompt lookup, "draft": a draft model at
    # draft_model_path, loaded beside the model in the same host).
    speculative: str = "off"
    draft_model_path: str | None = None
    # Whether this load computes a batch exactly as one token, when an earlier load of
    # the same file, loaded the same way, found out (None: the host checks).
    exact_batches: bool | None = None


@dataclass(frozen=True)
class ModelInfo:
    model_path: str
    name: str
    n_ctx: int
    n_ctx_train: int
    n_layers: int
    n_gpu_layers: int
    backend: str
    system_info: str
    template_source: Literal["model", "override", "default"]
    load_seconds: float
    offload_reason: str = ""
    # The template family recognised from the vocabulary's special tokens (or None).
    family: str | None = None
    # One line for the user when Hearth adapted the template (fallback, folded system).
    template_note: str = ""
    supports_system: bool = True
    # Thinking controls the template offers (enable_thinking, reasoning_effort).
    supports_thinking_toggle: bool = False
    supports_effort: bool = False
    # Whether the model thinks when no choice is made (None: the template cannot say).
    thinking_default: bool | None = None
    # How the previous model made way for this one, for the status line ("" if none).
    switch_note: str = ""
    # The KV cache as loaded: its element type and its size in bytes (0: not known).
    kv_type: str = "f16"
    kv_bytes: int = 0
    # Speculative decoding in effect ("off", "lookup", "draft"), and one line for the
    # user when the one asked for could not be used (a draft of another vocabulary).
    speculative: str = "off"
    speculative_note: str = ""
    # What the host's check found (app.engine.exact_drafts); None when it did not check.
    exact_batches: bool | None = None


# Keys of GenerateRequest.options that are not template variables.
# The prompt as written, continued without the chat template (``messages`` is then
# empty): POST /v1/completions.
RAW_PROMPT = "raw_prompt"
# With ``tools``: OpenAI's ``tool_choice`` ("auto", "required", or a named function), for
# a remote model's server. A local model is made to call through the grammar instead.
TOOL_CHOICE = "tool_choice"


@dataclass(frozen=True)
class GenerateRequest:
    request_id: int
    messages: list[dict[str, Any]]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    stop: tuple[str, ...] = ()
    # Benchmarks need exactly N tokens, so they generate past end-of-sequence.
    ignore_eos: bool = False
    # Template variables, only those set: enable_thinking (bool), reasoning_effort (str),
    # tools (the tools offered, as the template's ``tools`` list; calls are then read);
    # and the keys above (RAW_PROMPT, TOOL_CHOICE), which never reach the template.
    options: dict[str, Any] = field(default_factory=dict)
    # A GBNF grammar the reply must follow (llama.cpp's constrained sampling).
    grammar: str | None = None


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    prompt_eval_tokens: int
    completion_tokens: int
    dropped_messages: int
    ttft_ms: float
    tokens_per_s: float
    prompt_tokens_per_s: float
    total_ms: float
    finish_reason: FinishReason
    # Per reply token, measured inside the local token loop (0 where not measured, as for
    # a remote model): milliseconds in llama_decode, in the sampler chain, and in
    # everything else the host did for the token (detokenizing, stop strings, parsing).
    decode_ms_per_token: float = 0.0
    sample_ms_per_token: float = 0.0
    other_ms_per_token: float = 0.0
    # Speculative decoding: draft tokens proposed, and how many the model kept.
    draft_tokens: int = 0
    accepted_tokens: int = 0
    # Milliseconds the prompt's evaluation spent inside llama_decode (the rest of ttft_ms
    # is the host's own work and the first sample).
    prompt_decode_ms: float = 0.0


# Host -> caller events.
@dataclass(frozen=True)
class LoadProgress:
    fraction: float


@dataclass(frozen=True)
class Loaded:
    info: ModelInfo


@dataclass(frozen=True)
class TextChunk:
    request_id: int
    text: str
    kind: TextKind = "answer"


@dataclass(frozen=True)
class ToolCallEvent:
    """The model called a tool (``call`` is an ``app.engine.tool_calls.ToolCall``)."""

    request_id: int
    call: Any


@dataclass(frozen=True)
class PromptReady:
    """The prompt was built: how many tokens, and how many old turns were left out."""

    request_id: int
    prompt_tokens: int
    dropped_messages: int


@dataclass(frozen=True)
class Finished:
    request_id: int
    stats: GenerationStats


@dataclass(frozen=True)
class Failed:
    """A request failed with an error the user can act on; the host lives on."""

    request_id: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class Shutdown:
    pass
