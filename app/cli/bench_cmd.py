"""``hearth bench``: Hearth's engine against a bare llama-cpp-python loop, same settings."""

from __future__ import annotations

import argparse
import json

from app.benchmark import run_benchmark
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
    if not args.json:
        status(f"Benchmarking {model.name}: {args.tokens} tokens, Hearth and bare in turn...")
    result = run_benchmark(str(model.path), args.tokens, args.threads, args.repeat)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    h, b = result.hearth, result.bare
    rows = [
        ("load time (s)", f"{h.load_s:.2f}", f"{b.load_s:.2f}", f"{h.load_s / b.load_s:.2f}"),
        (
            "prompt tokens/s",
            f"{h.prompt_tokens_per_s:.1f}",
            f"{b.prompt_tokens_per_s:.1f}",
            f"{result.prompt_ratio:.3f}",
        ),
        (
            "time to first token (ms)",
            f"{h.ttft_ms:.0f}",
            f"{b.ttft_ms:.0f}",
            f"{h.ttft_ms / b.ttft_ms:.2f}",
        ),
        (
            "generation tokens/s",
            f"{h.tokens_per_s:.1f}",
            f"{b.tokens_per_s:.1f}",
            f"{result.generation_ratio:.3f}",
        ),
        ("tokens generated", h.generated_tokens, b.generated_tokens, ""),
    ]
    print(f"{result.model}: {result.tokens} tokens, context {result.n_ctx}")
    print(table(("METRIC", "HEARTH", "BARE LLAMA-CPP-PYTHON", "RATIO"), rows))
    if len(result.pairs) > 1:
        per_pair = ", ".join(f"{ratio:.3f}" for ratio in result.generation_ratio_per_pair)
        print(f"Generation ratio of each back-to-back pair: {per_pair} (the median is shown)")
    return 0
