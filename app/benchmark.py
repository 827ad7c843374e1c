"""``hearth bench``: Hearth's engine against llama.cpp's own loop, in back-to-back pairs.

Each pair runs, back to back and in alternating order:

* Hearth: the engine loads the model (timed), generates N tokens after the bench prompt
  (end-of-sequence ignored) and reports, measured inside its token loop, each token's
  time inside ``llama_decode``, inside the sampler chain and everywhere else; then the
  time to the first token of fresh prompts of about 74 and 2,000 tokens, as the caller
  sees it (request, template, tokenizing, prompt evaluation, first sample, answer);
* llama.cpp's ``llama-bench`` (``app.bench_reference``), built from the same sources with
  the same flags: N tokens at the same depth (``-d``: the tokens of Hearth's prompt), the
  same threads and batch; the same prompts' evaluation alone (``-p``: a bare decode);
  and its load time;
* the bare llama-cpp-python loop (``Llama.generate``), which Hearth used before.

Ratios are the median of each pair's ratio: a pair shares the machine's drift, so it is
steadier than the ratio of two medians on a busy machine. The time per token outside
``llama_decode`` moves much less with the machine's noise than tokens/s do.

The first token's overhead is also given in CPU time, which the machine's other work
does not inflate: the CPU the engine host process spent on the request (template,
tokenizing, the prompt's evaluation, the first sample, the answer) against the CPU of a
bare decode of the same tokens at the same positions (after the prefix the cache kept)
with the same library, context, threads and batches, run in the same pair
(``llama_decode`` called from Python here).
"""

from __future__ import annotations

import codecs
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from app.bench_reference import (
    ReferenceSettings,
    find_llama_bench,
    load_seconds,
    run_llama_bench,
)
from app.engine.chat_template import ChatTemplate
from app.engine.engine import Engine
from app.engine.prompt_chunks import prompt_chunks
from app.engine.protocol import LoadRequest, SamplingParams
from app.library.gguf_header import read_gguf_header

BENCH_PROMPT = (
    "Write a long, detailed story about a lighthouse keeper who finds a map inside a"
    " bottle. Describe the island, the weather, the people in the village, and every step"
    " of the journey that follows, in many chapters."
)
# Prompt sizes whose first token is timed (tokens, approximately).
TTFT_PROMPTS = (74, 2000)


@dataclass(frozen=True)
class RunFigures:
    load_s: float
    prompt_tokens: int
    prompt_tokens_per_s: float
    ttft_ms: float
    generated_tokens: int
    tokens_per_s: float
    # Per token, inside the loop (Hearth only): llama_decode, the sampler chain, the rest.
    decode_ms: float = 0.0
    sample_ms: float = 0.0
    other_ms: float = 0.0


@dataclass(frozen=True)
class FirstToken:
    """One prompt's first token: Hearth's, as its caller waits for it, and a bare decode
    of the same number of tokens (llama-bench ``-p``; 0 when it is not built)."""

    prompt_tokens: int
    evaluated_tokens: int
    hearth_ms: float
    bare_ms: float = 0.0
    # CPU time: the engine host's for the request, and a bare decode's with the same
    # library (0 when not measured).
    hearth_cpu_ms: float = 0.0
    bare_cpu_ms: float = 0.0
    # Of hearth_ms, the time inside llama_decode for the prompt and in the first sample,
    # measured in the host: the rest is Hearth's own work (0 when not measured).
    decode_ms: float = 0.0
    sample_ms: float = 0.0

    @property
    def outside_decode_ms(self) -> float:
        """What the caller waited beyond the model's own work: request, template,
        tokenizing, batching, the answer's way back. A bare decode has none of it, and
        unlike the difference of two totals it is not lost in their noise."""
        return self.hearth_ms - self.decode_ms - self.sample_ms if self.decode_ms else 0.0

    @property
    def overhead_ms(self) -> float:
        return self.hearth_ms - self.bare_ms if self.bare_ms else 0.0

    @property
    def cpu_overhead_ms(self) -> float:
        return (
            self.hearth_cpu_ms - self.bare_cpu_ms
            if self.hearth_cpu_ms and self.bare_cpu_ms
            else 0.0
        )


@dataclass(frozen=True)
class Reference:
    """llama-bench's figures in one pair."""

    load_s: float
    tokens_per_s: float
    depth: int


@dataclass(frozen=True)
class Pair:
    hearth: RunFigures
    bare: RunFigures
    first_tokens: tuple[FirstToken, ...] = ()
    reference: Reference | None = None


@dataclass(frozen=True)
class BenchResult:
    """Every pair, with medians of each side, and ratios as medians of the pairs' ratios."""

    model: str
    tokens: int
    n_ctx: int
    threads: int
    hearth: RunFigures
    bare: RunFigures
    pairs: tuple[Pair, ...] = ()
    llama_bench: str | None = None  # the binary compared with, when built
    notes: tuple[str, ...] = field(default=())

    @property
    def generation_ratio(self) -> float:
        return _median_or_zero(self.generation_ratio_per_pair)

    @property
    def generation_ratio_per_pair(self) -> list[float]:
        return [
            p.hearth.tokens_per_s / p.bare.tokens_per_s for p in self.pairs if p.bare.tokens_per_s
        ]

    @property
    def prompt_ratio(self) -> float:
        return _median_or_zero(
            [
                p.hearth.prompt_tokens_per_s / p.bare.prompt_tokens_per_s
                for p in self.pairs
                if p.bare.prompt_tokens_per_s
            ]
        )

    @property
    def llama_bench_ratio_per_pair(self) -> list[float]:
        return [
            p.hearth.tokens_per_s / p.reference.tokens_per_s
            for p in self.pairs
            if p.reference and p.reference.tokens_per_s
        ]

    @property
    def llama_bench_ratio(self) -> float:
        return _median_or_zero(self.llama_bench_ratio_per_pair)

    @property
    def reference(self) -> Reference | None:
        runs = [p.reference for p in self.pairs if p.reference]
        if not runs:
            return None
        return Reference(
            load_s=statistics.median(r.load_s for r in runs),
            tokens_per_s=statistics.median(r.tokens_per_s for r in runs),
            depth=runs[0].depth,
        )

    def first_tokens(self) -> list[FirstToken]:
        """Each prompt size's medians over the pairs."""
        sizes = len(self.pairs[0].first_tokens) if self.pairs else 0
        medians = []
        for index in range(sizes):
            runs = [p.first_tokens[index] for p in self.pairs if len(p.first_tokens) > index]
            medians.append(
                FirstToken(
                    prompt_tokens=runs[0].prompt_tokens,
                    evaluated_tokens=runs[0].evaluated_tokens,
                    hearth_ms=statistics.median(r.hearth_ms for r in runs),
                    bare_ms=statistics.median(r.bare_ms for r in runs),
                    hearth_cpu_ms=statistics.median(r.hearth_cpu_ms for r in runs),
                    bare_cpu_ms=statistics.median(r.bare_cpu_ms for r in runs),
                    decode_ms=statistics.median(r.decode_ms for r in runs),
                    sample_ms=statistics.median(r.sample_ms for r in runs),
                )
            )
        return medians

    def first_token_outside_decode(self, index: int) -> list[float]:
        """One prompt size's time outside llama_decode and sampling in each pair."""
        return [
            p.first_tokens[index].outside_decode_ms
            for p in self.pairs
            if len(p.first_tokens) > index and p.first_tokens[index].decode_ms
        ]

    def first_token_overheads(self, index: int) -> list[float]:
        """One prompt size's overhead in each pair (each pair's own difference)."""
        return [
            p.first_tokens[index].overhead_ms
            for p in self.pairs
            if len(p.first_tokens) > index and p.first_tokens[index].bare_ms
        ]

    def first_token_cpu_overheads(self, index: int) -> list[float]:
        """One prompt size's CPU overhead in each pair (host CPU less a bare decode's)."""
        return [
            p.first_tokens[index].cpu_overhead_ms
            for p in self.pairs
            if len(p.first_tokens) > index and p.first_tokens[index].bare_cpu_ms
        ]

    def to_dict(self) -> dict[str, Any]:
        reference = self.reference
        return {
            "model": self.model,
            "tokens": self.tokens,
            "n_ctx": self.n_ctx,
            "threads": self.threads,
            "hearth": asdict(self.hearth),
            "bare_llama_cpp_python": asdict(self.bare),
            "per_token_ms": {
                "decode": round(self.hearth.decode_ms, 4),
                "sampling": round(self.hearth.sample_ms, 4),
                "other": round(self.hearth.other_ms, 4),
            },
            # Each pair's own split, so the spread shows beside the medians.
            "per_token_ms_per_pair": [
                {
                    "decode": round(p.hearth.decode_ms, 4),
                    "sampling": round(p.hearth.sample_ms, 4),
                    "other": round(p.hearth.other_ms, 4),
                }
                for p in self.pairs
            ],
            "generation_ratio": round(self.generation_ratio, 4),
            "generation_ratio_per_pair": [round(r, 4) for r in self.generation_ratio_per_pair],
            "prompt_ratio": round(self.prompt_ratio, 4),
            "llama_bench": None
            if reference is None
            else {
                "binary": self.llama_bench,
                "depth": reference.depth,
                "tokens_per_s": round(reference.tokens_per_s, 2),
                "load_s": round(reference.load_s, 3),
                "generation_ratio": round(self.llama_bench_ratio, 4),
                "generation_ratio_per_pair": [round(r, 4) for r in self.llama_bench_ratio_per_pair],
            },
            "first_token": [
                {
                    "prompt_tokens": first.prompt_tokens,
                    "evaluated_tokens": first.evaluated_tokens,
                    "hearth_ms": round(first.hearth_ms, 2),
                    "bare_decode_ms": round(first.bare_ms, 2) if first.bare_ms else None,
                    "overhead_ms": _rounded_median(self.first_token_overheads(index)),
                    "overhead_ms_per_pair": [
                        round(ms, 2) for ms in self.first_token_overheads(index)
                    ],
                    "hearth_cpu_ms": round(first.hearth_cpu_ms, 2),
                    "bare_decode_cpu_ms": round(first.bare_cpu_ms, 2),
                    "cpu_overhead_ms": _rounded_median(self.first_token_cpu_overheads(index)),
                    "cpu_overhead_ms_per_pair": [
                        round(ms, 2) for ms in self.first_token_cpu_overheads(index)
                    ],
                    "outside_decode_ms": _rounded_median(self.first_token_outside_decode(index)),
                    "outside_decode_ms_per_pair": [
                        round(ms, 2) for ms in self.first_token_outside_decode(index)
                    ],
                }
                for index, first in enumerate(self.first_tokens())
            ],
            "notes": list(self.notes),
        }


def _median_or_zero(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _rounded_median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def default_threads() -> int:
    """llama-cpp-python's default: half the logical processors."""
    return max(1, (os.cpu_count() or 2) // 2)


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
    model_path: str,
    tokens: int,
    n_threads: int | None = None,
    repeat: int = 1,
    first_token_prompts: Sequence[int] = TTFT_PROMPTS,
    llama_bench: Path | None = None,
) -> BenchResult:
    """Runs ``repeat`` pairs; see the module docstring. Which side goes first alternates
    from pair to pair, so neither always runs on a machine the other has just warmed."""
    threads = n_threads or default_threads()
    n_ctx = max(tokens + 512, max(first_token_prompts, default=0) + 256)
    request = LoadRequest(model_path=model_path, n_ctx=n_ctx, n_threads=threads)
    messages = [{"role": "user", "content": BENCH_PROMPT}]
    binary = llama_bench or find_llama_bench()
    settings = ReferenceSettings(threads=threads, batch=request.n_batch)
    sizes: dict[int, int] = {}
    pairs: list[Pair] = []
    for index in range(max(1, repeat)):
        if index % 2 == 0:
            hearth, first_tokens = _bench_engine(
                request, messages, tokens, first_token_prompts, sizes, index
            )
            bare = _bench_bare(request, messages, tokens)
        else:
            bare = _bench_bare(request, messages, tokens)
            hearth, first_tokens = _bench_engine(
                request, messages, tokens, first_token_prompts, sizes, index
            )
        reference = None
        bare_runs = _bare_decode(
            request,
            [(f.prompt_tokens - f.evaluated_tokens, f.evaluated_tokens) for f in first_tokens],
        )
        bare_ms = [wall for wall, _cpu in bare_runs]
        if binary is not None:
            reference, bare_ms = _bench_reference(
                binary, model_path, settings, tokens, hearth.prompt_tokens, first_tokens
            )
        if first_tokens:
            first_tokens = tuple(
                replace(f, bare_ms=ms, bare_cpu_ms=cpu)
                for f, ms, (_wall, cpu) in zip(first_tokens, bare_ms, bare_runs, strict=True)
            )
        pairs.append(Pair(hearth, bare, first_tokens, reference))
    notes = (
        ()
        if binary
        else (
            "llama-bench is not built (see app/bench_reference.py): the first token's bare"
            " decode is llama_decode called from Python here",
        )
    )
    result = BenchResult(
        read_gguf_header(model_path).name,
        tokens,
        n_ctx,
        threads,
        _median([p.hearth for p in pairs]),
        _median([p.bare for p in pairs]),
        tuple(pairs),
        str(binary) if binary else None,
        notes,
    )
    return replace(result, notes=(*notes, *_cpu_overhead_notes(result)))


def _cpu_overhead_notes(result: BenchResult) -> tuple[str, ...]:
    """One line on the first token's CPU overhead, which the table does not show."""
    parts = []
    for index, first in enumerate(result.first_tokens()):
        overheads = result.first_token_cpu_overheads(index)
        if overheads:
            spread = ", ".join(f"{ms:+.0f}" for ms in overheads)
            parts.append(
                f"{first.prompt_tokens} tokens {statistics.median(overheads):+.0f} ms"
                f" (pairs: {spread})"
            )
    if not parts:
        return ()
    return (
        "First token in CPU time, the engine host's less a bare decode's with the same"
        " library (not inflated by other work on the machine): " + "; ".join(parts),
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
        decode_ms=middle([r.decode_ms for r in runs]),
        sample_ms=middle([r.sample_ms for r in runs]),
        other_ms=middle([r.other_ms for r in runs]),
    )


def _bench_engine(
    request: LoadRequest,
    messages: list[dict[str, str]],
    tokens: int,
    first_token_prompts: Sequence[int],
    sizes: dict[int, int],
    pair: int,
) -> tuple[RunFigures, tuple[FirstToken, ...]]:
    engine = Engine()
    try:
        started = time.perf_counter()
        engine.load(request)
        load_s = time.perf_counter() - started
        stats = engine.generate(messages, _sampling(tokens), lambda _text: None, ignore_eos=True)
        firsts = tuple(
            _first_token(engine, target, sizes, f"{pair}-{target}")
            for target in first_token_prompts
        )
    finally:
        engine.unload()
    figures = RunFigures(
        load_s=load_s,
        prompt_tokens=stats.prompt_eval_tokens,
        prompt_tokens_per_s=stats.prompt_tokens_per_s,
        ttft_ms=stats.ttft_ms,
        generated_tokens=stats.completion_tokens,
        tokens_per_s=stats.tokens_per_s,
        decode_ms=stats.decode_ms_per_token,
        sample_ms=stats.sample_ms_per_token,
        other_ms=stats.other_ms_per_token,
    )
    return figures, firsts


def _first_token(engine: Engine, target: int, sizes: dict[int, int], tag: str) -> FirstToken:
    """A fresh prompt of about ``target`` tokens (a tag no earlier prompt began with, so
    nothing past the template's own opening is in the KV cache), timed from the call to
    the reply of one token."""
    words = sizes.get(target) or _words_for(engine, target)
    sizes[target] = words
    content = f"Bench {tag}: " + " ".join(f"w{index}" for index in range(words))
    pid = engine.host_pid
    cpu_before = _process_cpu_seconds(pid)
    started = time.perf_counter()
    stats = engine.generate(
        [{"role": "user", "content": content}], SamplingParams(max_tokens=1), lambda _t: None
    )
    waited = (time.perf_counter() - started) * 1000
    cpu_after = _process_cpu_seconds(pid)
    cpu_ms = (cpu_after - cpu_before) * 1000 if cpu_before and cpu_after else 0.0
    return FirstToken(
        stats.prompt_tokens,
        stats.prompt_eval_tokens,
        waited,
        hearth_cpu_ms=cpu_ms,
        decode_ms=stats.prompt_decode_ms,
        sample_ms=stats.sample_ms_per_token,
    )


def _process_cpu_seconds(pid: int | None) -> float:
    """The CPU time all of a process's threads have used (0.0 when it cannot be read):
    from the scheduler's nanosecond counters on Linux, else psutil's (in clock ticks)."""
    if pid is None:
        return 0.0
    tasks = Path(f"/proc/{pid}/task")
    try:
        return (
            sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir()) / 1e9
        )
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except Exception:  # psutil missing, or the process gone
        return 0.0


def _words_for(engine: Engine, target: int) -> int:
    """How many filler words make a prompt of about ``target`` tokens (two probes)."""

    def prompt_tokens(words: int) -> int:
        content = "Probe " + " ".join(f"w{index}" for index in range(words))
        stats = engine.generate(
            [{"role": "user", "content": content}], SamplingParams(max_tokens=1), lambda _t: None
        )
        return stats.prompt_tokens

    few, many = 1, max(2, target // 4)
    base, more = prompt_tokens(few), prompt_tokens(many)
    per_word = max((more - base) / (many - few), 0.1)
    return max(1, round(few + (target - base) / per_word))


def _bare_decode(
    request: LoadRequest, counts: Sequence[tuple[int, int]]
) -> list[tuple[float, float]]:
    """Each (kept, count): ``count`` tokens decoded after ``kept`` tokens already in the
    cache (decoded first, untimed: the prefix Hearth's KV cache kept), in the batches
    Hearth's token loop uses, and the first token sampled, by llama_decode and a greedy
    sampler called directly (no template, no pipe): its wall time and this process's CPU
    time, in milliseconds."""
    if not counts:
        return []
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=request.model_path,
        n_ctx=request.n_ctx,
        n_batch=request.n_batch,
        n_threads=request.n_threads,
        n_threads_batch=request.n_threads,
        verbose=False,
    )
    context = llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(context)
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
    vocabulary = llm.n_vocab()
    times = []
    try:
        n_ubatch = int(llama_cpp.llama_n_ubatch(context))
        for kept, count in counts:
            llama_cpp.llama_memory_clear(memory, True)
            tokens = [100 + index % (vocabulary - 200) for index in range(kept + count)]
            if kept:
                array = (llama_cpp.llama_token * kept)(*tokens[:kept])
                llama_cpp.llama_decode(context, llama_cpp.llama_batch_get_one(array, kept))
            cpu_started = time.process_time()
            started = time.perf_counter()
            for first, past in prompt_chunks(kept, kept + count, request.n_batch, n_ubatch):
                array = (llama_cpp.llama_token * (past - first))(*tokens[first:past])
                llama_cpp.llama_decode(context, llama_cpp.llama_batch_get_one(array, past - first))
            llama_cpp.llama_sampler_sample(chain, context, -1)
            wall = (time.perf_counter() - started) * 1000
            times.append((wall, (time.process_time() - cpu_started) * 1000))
    finally:
        llama_cpp.llama_sampler_free(chain)
        llm.close()
    return times


def _bench_reference(
    binary: Path,
    model_path: str,
    settings: ReferenceSettings,
    tokens: int,
    depth: int,
    first_tokens: Sequence[FirstToken],
) -> tuple[Reference, list[float]]:
    """llama-bench at the same depth, threads and tokens; the same prompts' bare decode."""
    generation, _ = run_llama_bench(
        binary, model_path, settings, prompt=0, generated=tokens, depth=depth
    )
    bare_ms = [
        run_llama_bench(binary, model_path, settings, prompt=f.evaluated_tokens, generated=0)[
            0
        ].seconds
        * 1000
        for f in first_tokens
    ]
    load_s = load_seconds(binary, model_path, settings)
    return Reference(load_s, generation.tokens_per_s, depth), bare_ms


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
        n_threads_batch=request.n_threads,
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
