"""Hearth's engine against llama.cpp's own ``llama-bench``, model by model, as ratios.

Models: the starter model (SmolLM2-135M Q4_1) and synthetic Llama models with the
shapes of Llama 2 7B and 70B and random Q4_0 weights (``tests/support/synthetic_gguf``),
written to a scratch folder and deleted afterwards (4 GB and 39 GB). For each:

* load time;
* prompt processing and generation, tokens/s;
* time to first token at turn 1 and at turn 20 of a conversation (the engine keeps the
  KV cache between turns, so turn 20 evaluates only the new tokens).

Hearth's side goes through :class:`app.engine.engine.Engine` with the offload plan
(GPU layers, flash attention) Hearth would use on this machine. llama-bench runs the
same model with the same threads, batch, GPU layers and flash attention, on the very
token counts Hearth evaluated: ``pp`` and ``tg`` for the speeds (``tg`` at the depth of
Hearth's prompt, ``-d``, as Hearth generates after it), and for each turn the
same number of new tokens at the same depth already in the cache (``-p E -d D``).
Ratios are Hearth ÷ llama-bench: for speeds, 1.00 is parity and lower is slower; for
times, higher is slower.

A model the preflight check says cannot fit is skipped with the numbers (``--force``
runs it on the CPU anyway). On a machine without a usable GPU the 70B shape runs
``--quick``: load, first token of a short prompt and a handful of tokens only.

Build llama-bench once, from the llama.cpp that llama-cpp-python 0.3.36 vendors, with
scripts/setup's CPU flags (add ``-DGGML_CUDA=ON`` for its CUDA build); several minutes::

    pip download --no-binary :all: --no-deps llama-cpp-python==0.3.36 -d ~/.cache/hearth/src
    tar xzf ~/.cache/hearth/src/llama_cpp_python-0.3.36.tar.gz -C ~/.cache/hearth/src
    cmake -S ~/.cache/hearth/src/llama_cpp_python-0.3.36/vendor/llama.cpp \\
        -B ~/.cache/hearth/llama-bench/build -G Ninja -DCMAKE_BUILD_TYPE=Release \\
        -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \\
        -DGGML_BMI2=ON -DLLAMA_CURL=OFF
    cmake --build ~/.cache/hearth/llama-bench/build --target llama-bench

Then::

    .venv/bin/python bench/bench_offload.py                          # starter and 7B
    .venv/bin/python bench/bench_offload.py --models starter,7b,70b  # a GPU machine
    .venv/bin/python bench/bench_offload.py --models 70b --layers 70b=16   # a 70B-wide slice
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.protocol import LoadRequest
from app.hardware import MachineInfo, detect_machine
from app.hardware.offload import OffloadPlan
from app.library.fit import ModelShape
from app.library.gguf_header import read_gguf_header
from app.library.preflight import LoadChoice, ModelDoesNotFit, preflight
from bench.offload_hearth import HearthFigures, TurnFigures, measure_hearth, prompt_of
from bench.offload_llama_bench import (
    DEFAULT_BINARY,
    BenchSettings,
    BenchTest,
    load_seconds,
    run_bench,
    version,
)
from bench.offload_models import (
    BenchModel,
    delete_model,
    parse_layers,
    plan_models,
    settle_model,
    write_model,
)

TEMPLATE_TOKENS = 12  # about what the chat template adds around the user's text


@dataclass
class Quick:
    """The reduced run for models too slow for the full one here."""

    prompt_tokens: int = 32
    gen_tokens: int = 4
    turns: int = 1
    repetitions: int = 1


@dataclass
class ModelResult:
    model: str
    path_size_gb: float
    write_s: float
    plan: str
    backend: str
    n_gpu_layers: int
    threads: int
    n_ctx: int
    loadavg_before: tuple[float, float, float]
    loadavg_after: tuple[float, float, float]
    hearth: HearthFigures
    bench_load_s: float
    bench_pp: BenchTest
    bench_tg: BenchTest | None
    bench_turns: dict[int, BenchTest]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="starter,7b", help="starter, 7b, 70b, 300m")
    parser.add_argument("--llama-bench", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the synthetic models")
    parser.add_argument(
        "--layers", action="append", default=[], help="SHAPE=N: fewer layers, e.g. 70b=16"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for both sides (default: all); 1 on a machine others are using",
    )
    parser.add_argument("--ngl", default="auto", help="GPU layers: auto (the plan) or a number")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--turn-tokens", type=int, default=16, help="tokens generated per turn")
    parser.add_argument("--repetitions", type=int, default=3, help="llama-bench -r")
    parser.add_argument(
        "--quick",
        default=None,
        help="models to run briefly (comma list); default: 70b where no GPU is usable",
    )
    parser.add_argument("--force", action="store_true", help="run models that do not fit")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def plan_for(model: BenchModel, machine: MachineInfo, args: argparse.Namespace) -> OffloadPlan:
    shape = ModelShape.from_header(read_gguf_header(model.path))
    override = None if args.ngl == "auto" else int(args.ngl)
    try:
        return preflight(shape, machine, args.n_ctx, override=override, model_path=str(model.path))
    except ModelDoesNotFit:
        if not args.force:
            raise
        return preflight(shape, machine, args.n_ctx, choice=LoadChoice.CPU)


def run_model(
    model: BenchModel, machine: MachineInfo, args: argparse.Namespace, quick: Quick | None
) -> ModelResult:
    loadavg_before = os.getloadavg()
    write_s = write_model(model)
    settle_model(model)
    plan = plan_for(model, machine, args)
    arguments = plan.llama_kwargs()
    prompt_tokens = quick.prompt_tokens if quick else args.prompt_tokens
    gen_tokens = quick.gen_tokens if quick else args.gen_tokens
    turns = quick.turns if quick else args.turns
    settings = BenchSettings(
        threads=args.threads,
        n_gpu_layers=arguments["n_gpu_layers"],
        flash_attn=arguments["flash_attn"],
        repetitions=quick.repetitions if quick else args.repetitions,
    )
    log(f"{model.label}: {plan.reason}")
    request = LoadRequest(
        model_path=str(model.path),
        n_ctx=args.n_ctx,
        n_gpu_layers=arguments["n_gpu_layers"],
        flash_attn=arguments["flash_attn"],
        n_threads=args.threads,
        offload_reason=plan.reason,
    )
    prompt_text = prompt_of(str(model.path), max(1, prompt_tokens - TEMPLATE_TOKENS))
    hearth = measure_hearth(
        request,
        prompt_text=prompt_text,
        gen_tokens=gen_tokens,
        turns=turns,
        turn_tokens=args.turn_tokens,
        log=log,
    )
    binary = args.llama_bench
    bench_load = load_seconds(binary, model.path, settings)
    log(f"  llama-bench: load {bench_load:.2f} s")
    pp = run_bench(binary, model.path, settings, prompt=hearth.prompt_tokens, gen=0)[0][0]
    # Hearth generated after its prompt, so llama-bench generates at that depth too
    # (``-p P -n G`` would time the generation from an empty cache).
    tg = None
    if hearth.generated:
        tg_tests, _ = run_bench(
            binary, model.path, settings, prompt=0, gen=hearth.generated, depth=pp.n_prompt
        )
        tg = tg_tests[0]
    log(
        f"  llama-bench: pp{pp.n_prompt} {pp.tokens_per_s:.1f}/s"
        + (f", tg{tg.n_gen} at depth {tg.n_depth} {tg.tokens_per_s:.2f}/s" if tg else "")
    )
    bench_turns = {}
    for turn in sorted({1, turns}):
        figures = hearth.turns[turn - 1]
        depth = figures.context_tokens - figures.evaluated_tokens
        turn_tests, _ = run_bench(
            binary, model.path, settings, prompt=figures.evaluated_tokens, gen=0, depth=depth
        )
        bench_turns[turn] = turn_tests[0]
        log(f"  llama-bench: turn {turn}: {turn_tests[0].avg_ms:.0f} ms at depth {depth}")
    return ModelResult(
        model=model.label,
        path_size_gb=model.path.stat().st_size / 1e9,
        write_s=write_s,
        plan=plan.reason,
        backend=hearth.backend,
        n_gpu_layers=hearth.n_gpu_layers,
        threads=args.threads,
        n_ctx=args.n_ctx,
        loadavg_before=loadavg_before,
        loadavg_after=os.getloadavg(),
        hearth=hearth,
        bench_load_s=bench_load,
        bench_pp=pp,
        bench_tg=tg,
        bench_turns=bench_turns,
    )


def _turn_row(turn: TurnFigures, bench: BenchTest) -> tuple[str, str, str, str]:
    depth = turn.context_tokens - turn.evaluated_tokens
    return (
        f"first token, turn {turn.turn} (ms; {turn.evaluated_tokens} new at depth {depth})",
        f"{turn.ttft_ms:.0f}",
        f"{bench.avg_ms:.0f}",
        f"{turn.ttft_ms / bench.avg_ms:.2f}",
    )


def rows_for(result: ModelResult) -> list[tuple[str, str, str, str]]:
    h = result.hearth
    rows = [
        (
            # Not like for like: Hearth starts a host process and allocates a KV cache for
            # the whole context; llama-bench's context holds one token.
            f"load time (s; Hearth with a {result.n_ctx:,}-token context)",
            f"{h.load_s:.2f}",
            f"{result.bench_load_s:.2f}",
            f"{h.load_s / result.bench_load_s:.2f}",
        ),
        (
            f"prompt tokens/s ({h.prompt_tokens} tokens)",
            f"{h.prompt_tokens_per_s:.1f}",
            f"{result.bench_pp.tokens_per_s:.1f}",
            f"{h.prompt_tokens_per_s / result.bench_pp.tokens_per_s:.2f}",
        ),
    ]
    if result.bench_tg is not None and h.generated > 1:
        rows.append(
            (
                # Hearth generates after its prompt, llama-bench from an empty cache.
                f"generation tokens/s ({h.generated} tokens; Hearth after the prompt)",
                f"{h.tokens_per_s:.2f}",
                f"{result.bench_tg.tokens_per_s:.2f}",
                f"{h.tokens_per_s / result.bench_tg.tokens_per_s:.2f}",
            )
        )
    for turn, bench in sorted(result.bench_turns.items()):
        rows.append(_turn_row(h.turns[turn - 1], bench))
    return rows


def print_table(results: list[ModelResult], machine: MachineInfo, binary: Path) -> None:
    engine = machine.engine
    print(
        f"\nMachine: {machine.cpu_name}, {machine.cpu_threads} threads,"
        f" {machine.total_ram / 2**30:.1f} GB RAM;"
        f" engine llama-cpp-python {engine.version if engine else '?'};"
        f" llama-bench {version(binary)}"
    )
    print("Ratio = Hearth / llama-bench (speeds: lower is slower; times: higher is slower)\n")
    header = ("METRIC", "HEARTH", "LLAMA-BENCH", "RATIO")
    for result in results:
        rows = rows_for(result)
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
        before = ", ".join(f"{x:.2f}" for x in result.loadavg_before)
        after = ", ".join(f"{x:.2f}" for x in result.loadavg_after)
        print(
            f"{result.model}: {result.path_size_gb:.2f} GB file, {result.backend},"
            f" {result.threads} threads; load average {before} before, {after} after"
        )
        print(f"  plan: {result.plan}")
        for row in [header, *rows]:
            print(
                "  "
                + "  ".join(
                    str(v).ljust(w) if i == 0 else str(v).rjust(w)
                    for i, (v, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        print()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # llama-cpp-python runs prompt batches on every logical core whatever n_threads says
    # (its n_threads_batch default); llama-bench's -t sets both. Capping OpenMP, which
    # the spawned engine host and llama-bench inherit, makes both sides use --threads.
    os.environ["OMP_THREAD_LIMIT"] = str(args.threads)
    if not args.llama_bench.is_file():
        log(f"no llama-bench at {args.llama_bench}: build it (see this script's docstring)")
        return 2
    machine = detect_machine()
    keys = [key.strip() for key in args.models.split(",") if key.strip()]
    quick_keys = set()
    if args.quick is not None:
        quick_keys = {key.strip() for key in args.quick.split(",") if key.strip()}
    elif machine.best_gpu() is None:
        quick_keys = {"70b"}
    work_dir = Path(tempfile.mkdtemp(prefix="hearth-bench-", dir=args.work_dir))
    models = plan_models(keys, work_dir, parse_layers(args.layers))
    results = []
    try:
        for model in models:
            quick = Quick() if model.key in quick_keys else None
            started = time.perf_counter()
            try:
                results.append(run_model(model, machine, args, quick))
            except ModelDoesNotFit as refused:
                log(f"{model.label}: skipped, it does not fit here (--force runs it):\n{refused}")
            finally:
                if not args.keep:
                    delete_model(model)
            log(f"{model.label}: {time.perf_counter() - started:.0f} s in all")
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    print_table(results, machine, args.llama_bench)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
