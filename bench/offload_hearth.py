"""Hearth's side of bench_offload.py: load, prompt and generation speed, and a conversation.

Everything goes through :class:`app.engine.engine.Engine`, as the window and the
command line use it: a host process, the pipe, the chat template, the KV cache kept
between turns. Exact token counts are what the engine reports, so llama-bench can be
run on the very same numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.engine.engine import Engine
from app.engine.protocol import GenerationStats, LoadRequest, SamplingParams

PROMPT_SENTENCE = (
    "The lighthouse keeper walked along the shore at dawn, counting the gulls and"
    " listening to the waves break over the black rocks below the old tower. "
)
TURN_TEXT = "Go on with the story, turn {turn}."
WARMUP_MESSAGE = "Hi"


@dataclass(frozen=True)
class TurnFigures:
    turn: int
    context_tokens: int  # the whole prompt at this turn
    evaluated_tokens: int  # the part not already in the KV cache
    ttft_ms: float
    generated: int
    tokens_per_s: float


@dataclass
class HearthFigures:
    load_s: float  # engine.load() as the caller sees it: process start, import, load
    host_load_s: float  # the part inside the host (ModelInfo.load_seconds)
    backend: str
    n_gpu_layers: int
    prompt_tokens: int = 0
    prompt_tokens_per_s: float = 0.0
    prompt_ttft_ms: float = 0.0
    generated: int = 0
    tokens_per_s: float = 0.0
    turns: list[TurnFigures] = field(default_factory=list)


def sampling(max_tokens: int) -> SamplingParams:
    return SamplingParams(seed=1234, max_tokens=max_tokens)


def prompt_of(model_path: str, target_tokens: int) -> str:
    """User text of about ``target_tokens`` tokens in this model's vocabulary."""
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    text = ""
    while True:
        candidate = text + PROMPT_SENTENCE
        if len(vocab.tokenize(candidate.encode(), add_bos=False)) > target_tokens:
            break
        text = candidate
    words = PROMPT_SENTENCE.split(" ")
    for word in words:  # top up word by word
        candidate = f"{text}{word} "
        if len(vocab.tokenize(candidate.encode(), add_bos=False)) > target_tokens:
            break
        text = candidate
    return text.strip()


def _generate(
    engine: Engine, messages: list[dict[str, str]], tokens: int
) -> tuple[GenerationStats, str]:
    pieces: list[str] = []
    stats = engine.generate(messages, sampling(tokens), pieces.append, ignore_eos=True)
    return stats, "".join(pieces)


def measure_hearth(
    request: LoadRequest,
    *,
    prompt_text: str,
    gen_tokens: int,
    turns: int,
    turn_tokens: int,
    log: callable = print,  # type: ignore[valid-type]
) -> HearthFigures:
    engine = Engine()
    try:
        started = time.perf_counter()
        info = engine.load(request)
        figures = HearthFigures(
            load_s=time.perf_counter() - started,
            host_load_s=info.load_seconds,
            backend=info.backend,
            n_gpu_layers=info.n_gpu_layers,
        )
        log(f"  Hearth: loaded in {figures.load_s:.2f} s on {info.backend}")
        _generate(engine, [{"role": "user", "content": WARMUP_MESSAGE}], 2)

        stats, _ = _generate(engine, [{"role": "user", "content": prompt_text}], gen_tokens)
        figures.prompt_tokens = stats.prompt_eval_tokens
        figures.prompt_tokens_per_s = stats.prompt_tokens_per_s
        figures.prompt_ttft_ms = stats.ttft_ms
        figures.generated = stats.completion_tokens
        figures.tokens_per_s = stats.tokens_per_s
        log(
            f"  Hearth: prompt {stats.prompt_eval_tokens} tokens at"
            f" {stats.prompt_tokens_per_s:.1f}/s, {stats.completion_tokens} generated at"
            f" {stats.tokens_per_s:.2f}/s"
        )

        messages: list[dict[str, str]] = []
        for turn in range(1, turns + 1):
            messages.append({"role": "user", "content": TURN_TEXT.format(turn=turn)})
            stats, reply = _generate(engine, messages, turn_tokens)
            messages.append({"role": "assistant", "content": reply})
            figures.turns.append(
                TurnFigures(
                    turn=turn,
                    context_tokens=stats.prompt_tokens,
                    evaluated_tokens=stats.prompt_eval_tokens,
                    ttft_ms=stats.ttft_ms,
                    generated=stats.completion_tokens,
                    tokens_per_s=stats.tokens_per_s,
                )
            )
            if turn in (1, turns) or turn % 5 == 0:
                log(
                    f"  Hearth: turn {turn}: {stats.prompt_tokens} tokens of context,"
                    f" {stats.prompt_eval_tokens} new, first token after {stats.ttft_ms:.0f} ms"
                )
        return figures
    finally:
        engine.unload()
