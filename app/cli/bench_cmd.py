"""``hearth bench``: Hearth's engine against llama.cpp's llama-bench (and the bare
llama-cpp-python loop), in back-to-back pairs; a table, or JSON."""

from __future__ import annotations

import argparse
import json
import statistics

from app.benchmark import TTFT_PROMPTS, BenchResult, run_benchmark
from app.cli.output import error, status, table
from app.hearth import Hearth
from app.library.local_models import ModelNotFoundError
from app.library.starter import STARTER_NAME


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("bench", help="measure the engine's speed")
    parser.add_argument("--model", "-m", default=STARTER_NAME)
    parser.add_argument("--tokens", "-n", type=int, default=256, help="tokens to generate")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternate the two runs this many times (medians)"
    )
    parser.add_argument(
        "--first-token",
        default=",".join(str(size) for size in TTFT_PROMPTS),
        help="prompt sizes (tokens, comma-separated) whose first token is timed; '' for none",
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    hearth = Hearth.open()
    try:
        model = hearth.resolve_model(args.model)
    except ModelNotFoundError as problem:
        return error(str(problem))
    finally:
        hearth.close()
    try:
        sizes = [int(size) for size in args.first_token.split(",") if size.strip()]
    except ValueError:
        return error(f"--first-token takes token counts such as 74,2000 (got {args.first_token!r})")
    if not args.json:
        status(f"Benchmarking {model.name}: {args.tokens} tokens, {args.repeat} pair(s)...")
    result = run_benchmark(str(model.path), args.tokens, args.threads, args.repeat, sizes)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print_result(result)
    return 0


def print_result(result: BenchResult) -> None:
    h, b, ref = result.hearth, result.bare, result.reference
    print(
        f"{result.model}: {result.tokens} tokens, {result.threads} thread(s), context"
        f" {result.n_ctx}, {len(result.pairs)} pair(s); medians"
    )
    print(
        f"Per token inside Hearth's loop: llama_decode {h.decode_ms:.2f} ms, sampling"
        f" {h.sample_ms:.3f} ms, everything else {h.other_ms:.3f} ms"
    )
    reference = "LLAMA-BENCH" if ref else "LLAMA-BENCH (NOT BUILT)"
    rows: list[tuple[object, ...]] = [
        (
            f"generation tokens/s (depth {h.prompt_tokens})",
            f"{h.tokens_per_s:.1f}",
            f"{ref.tokens_per_s:.1f}" if ref else "-",
            f"{result.llama_bench_ratio:.3f}" if ref else "-",
            f"{b.tokens_per_s:.1f}",
            f"{result.generation_ratio:.3f}",
        ),
        (
            "load time (s)",
            f"{h.load_s:.2f}",
            f"{ref.load_s:.2f}" if ref else "-",
            f"{h.load_s / ref.load_s:.2f}" if ref and ref.load_s else "-",
            f"{b.load_s:.2f}",
            f"{h.load_s / b.load_s:.2f}" if b.load_s else "-",
        ),
    ]
    for index, first in enumerate(result.first_tokens()):
        overheads = result.first_token_overheads(index)
        rows.append(
            (
                f"first token, {first.prompt_tokens} tokens ({first.evaluated_tokens} new), ms",
                f"{first.hearth_ms:.0f}",
                f"{first.bare_ms:.0f} (bare decode)" if first.bare_ms else "-",
                f"+{statistics.median(overheads):.0f} ms" if overheads else "-",
                "",
                "",
            )
        )
    print(table(("METRIC", "HEARTH", reference, "RATIO", "LLAMA-CPP-PYTHON", "RATIO"), rows))
    if len(result.pairs) > 1:
        per_pair = result.llama_bench_ratio_per_pair or result.generation_ratio_per_pair
        shown = ", ".join(f"{ratio:.3f}" for ratio in per_pair)
        print(f"Generation ratio of each back-to-back pair: {shown} (the median is shown)")
    for index, first in enumerate(result.first_tokens()):
        outside = result.first_token_outside_decode(index)
        if outside:
            shown = ", ".join(f"{ms:.1f}" for ms in outside)
            print(
                f"First token, {first.prompt_tokens} tokens: {statistics.median(outside):.1f} ms"
                f" outside llama_decode and the first sample (pairs: {shown})"
            )
    for note in result.notes:
        print(note)
