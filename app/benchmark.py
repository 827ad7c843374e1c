"""Measures the engine against a bare llama-cpp-python token loop with the same settings.

Both sides load the same file with the same context, batch and thread settings, take
the same prompt, sample with the same parameters and produce exactly N tokens
(end-of-sequence is ignored). The ratio shows what Hearth's process boundary, pipe and
streaming cost.
"""

from __future__ import annotations

import codecs
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from app.engine.chat_template import ChatTemplate
from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams
from app.library.gguf_header import read_gguf_header

BENCH_PROMPT = (
    "Write a long, detailed story about a lighthouse keeper who finds a map inside a"
    " bottle. Describe the island, the weather, the people in the village, and every step"
    " of the journey that follows, in many chapters."
)


@dataclass(frozen=True)
class RunFigures:
    load_s: float
    prompt_tokens: int
    prompt_tokens_per_s: float
    ttft_ms: float
    generated_tokens: int
    tokens_per_s: float


@dataclass(frozen=True)
class BenchResult:
    """Medians of each side, and ratios as the median of each back-to-back pair's ratio.

    A machine's speed drifts over minutes; a pair run back to back shares the drift, so
    the ratio of a pair is steadier than the ratio of two medians.
    """

    model: str
    tokens: int
    n_ctx: int
    hearth: RunFigures
    bare: RunFigures
    pairs: tuple[tuple[RunFigures, RunFigures], ...] = ()

    @property
    def generation_ratio(self) -> float:
        return self._paired_ratio(lambda run: run.tokens_per_s)

    @property
    def prompt_ratio(self) -> float:
        return self._paired_ratio(lambda run: run.prompt_tokens_per_s)

    @property
    def generation_ratio_per_pair(self) -> list[float]:
        return [h.tokens_per_s / b.tokens_per_s for h, b in self.pairs if b.tokens_per_s]

    def _paired_ratio(self, figure: Callable[[RunFigures], float]) -> float:
        pairs = self.pairs or ((self.hearth, self.bare),)
        ratios = [figure(h) / figure(b) for h, b in pairs if figure(b)]
        return statistics.median(ratios) if ratios else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tokens": self.tokens,
            "n_ctx": self.n_ctx,
            "hearth": asdict(self.hearth),
            "bare_llama_cpp_python": asdict(self.bare),
            "generation_ratio": round(self.generation_ratio, 4),
            "generation_ratio_per_pair": [round(r, 4) for r in self.generation_ratio_per_pair],
            "prompt_ratio": round(self.prompt_ratio, 4),
        }


def _sampling(tokens: int) -> SamplingParams:
    return SamplingParams(
        temperature=0.7,
        top_p=0.95,
        top_k=40,
        min_p=0.05,
        repeat_penalty=1.1,
        seed=1234,
        max_tokens=tokens,
    )


def run_benchmark(
    model_path: str, tokens: int, n_threads: int | None = None, repeat: int = 1
) -> BenchResult:
    """Runs Hearth and the bare loop ``repeat`` times each, back to back in pairs.

    Which side goes first alternates from pair to pair, so neither always runs on a
    machine the other has just warmed (or tired).
    """
    n_ctx = tokens + 512
    request = LoadRequest(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads)
    messages = [{"role": "user", "content": BENCH_PROMPT}]
    pairs: list[tuple[RunFigures, RunFigures]] = []
    for index in range(max(1, repeat)):
        if index % 2 == 0:
            hearth = _bench_engine(request, messages, tokens)
            bare = _bench_bare(request, messages, tokens)
        else:
            bare = _bench_bare(request, messages, tokens)
            hearth = _bench_engine(request, messages, tokens)
        pairs.append((hearth, bare))
    name = read_gguf_header(model_path).name
    return BenchResult(
        name,
        tokens,
        n_ctx,
        _median([h for h, _ in pairs]),
        _median([b for _, b in pairs]),
        tuple(pairs),
    )


def _median(runs: list[RunFigures]) -> RunFigures:
    def middle(values: list[float]) -> float:
        return statistics.median(values)

    return RunFigures(
        load_s=middle([r.load_s for r in runs]),
        prompt_tokens=runs[0].prompt_tokens,
        prompt_tokens_per_s=middle([r.prompt_tokens_per_s for r in runs]),
        ttft_ms=middle([r.ttft_ms for r in runs]),
        generated_tokens=runs[0].generated_tokens,
        tokens_per_s=middle([r.tokens_per_s for r in runs]),
    )


def _bench_engine(request: LoadRequest, messages: list[dict[str, str]], tokens: int) -> RunFigures:
    engine = Engine()
    try:
        started = time.perf_counter()
        engine.load(request)
        load_s = time.perf_counter() - started
        stats = engine.generate(messages, _sampling(tokens), lambda _text: None, ignore_eos=True)
    finally:
        engine.unload()
    return RunFigures(
        load_s=load_s,
        prompt_tokens=stats.prompt_eval_tokens,
        prompt_tokens_per_s=stats.prompt_tokens_per_s,
        ttft_ms=stats.ttft_ms,
        generated_tokens=stats.completion_tokens,
        tokens_per_s=stats.tokens_per_s,
    )


def _bench_bare(request: LoadRequest, messages: list[dict[str, str]], tokens: int) -> RunFigures:
    """The plainest loop llama-cpp-python allows: generate, detokenize, decode."""
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=request.model_path,
        n_ctx=request.n_ctx,
        n_batch=request.n_batch,
        n_gpu_layers=request.n_gpu_layers,
        n_threads=request.n_threads,
        chat_format="chatml",
        verbose=False,
    )
    load_s = time.perf_counter() - started
    header = read_gguf_header(request.model_path)
    template = ChatTemplate(header.chat_template or "", bos_token="", eos_token="")
    prompt = llm.tokenize(template.render(messages).encode(), add_bos=True, special=True)
    sampling = _sampling(tokens)
    llm.set_seed(sampling.seed or 0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    begun = time.perf_counter()
    first_at = begun
    count = 0
    for token in llm.generate(
        prompt,
        top_k=sampling.top_k,
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        temp=sampling.temperature,
        repeat_penalty=sampling.repeat_penalty,
    ):
        if count == 0:
            first_at = time.perf_counter()
        decoder.decode(llm.detokenize([token]))
        count += 1
        if count >= tokens:
            break
    ended = time.perf_counter()
    del llm
    return RunFigures(
        load_s=load_s,
        prompt_tokens=len(prompt),
        prompt_tokens_per_s=len(prompt) / max(first_at - begun, 1e-9),
        ttft_ms=(first_at - begun) * 1000,
        generated_tokens=count,
        tokens_per_s=(count - 1) / (ended - first_at) if count > 1 else 0.0,
    )
