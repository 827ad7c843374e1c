"""Speculative decoding's speedup and acceptance rate on an "edit this text" task.

Model hosts (the engine's own code, in this process) hold the starter model with the
same threads and context: one without speculation, one with prompt lookup, one with a
draft model (a Q4_0 copy of the Q4_1 starter, made with llama.cpp's quantizer: no
smaller model of its vocabulary ships with Hearth). Each pair of runs generates the
same reply at temperature 0 back to back (off, then on, alternating which goes first),
so the machine's drift falls on both; the table gives the median generation tok/s of
each, their ratio, the same from the reply's CPU time (steadier on a busy machine: with
one thread llama.cpp computes on the caller's thread), and the share of draft tokens
the model kept. Rows: drafting at every step ("lookup", "draft"), and with the draft
gate that pauses drafting while it measures slower ("-gated", what Hearth runs). Both
sides load with flash attention, as Hearth loads a model with speculation on (see
app/engine/exact_drafts.py), and the replies are compared too.

    nice -n 19 .venv/bin/python bench/speculative.py [--pairs 6] [--threads 1] [--json OUT]
        [--model PATH] [--gpu-layers -1] [--no-draft]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.host import ModelHost
from app.engine.protocol import (
    Finished,
    GenerateRequest,
    GenerationStats,
    LoadRequest,
    SamplingParams,
    TextChunk,
)
from app.library.starter import starter_model_path
from tests.support.draft_copy import lower_precision_copy

TEXTS = (
    "Our team meeting is sheduled for Tuesday at 10am in the main conferance room. Please"
    " bring you're quarterly reports, the updated budget spreadsheet, and any questions"
    " you have about the new project timeline. Lunch will be provided after the meeting,"
    " and parking is availible in the north lot.",
    "The library will be closed on monday for maintenence. Books that are due that day"
    " can be returned on Tuesday without a late fee. The reading room on the second floor"
    " will reopen next week, and the childrens section has new picture books and a"
    " story hour every saturday morning.",
    "def total(items):\n    result = 0\n    for item in items:\n        result = result +"
    " item.price * item.quantity\n    return result\n\n\ndef average(items):\n    if"
    " len(items) == 0:\n        return 0\n    return total(items) / len(items)\n",
)
INSTRUCTIONS = (
    "Fix the spelling mistakes in this text and write it out again in full:",
    "Correct the errors in the following text and repeat the whole text:",
    "Add a docstring to each function below and repeat the code in full:",
)


def edit_prompts() -> list[list[dict[str, str]]]:
    return [
        [{"role": "user", "content": f"{instruction}\n\n{text}"}]
        for instruction, text in zip(INSTRUCTIONS, TEXTS, strict=True)
    ]


class Host:
    """A model host in this process (the engine's own code, without the pipe), so the
    reply's CPU time can be read: with one thread, llama.cpp computes on this thread."""

    def __init__(self, request: LoadRequest, *, gated: bool = True) -> None:
        self.host = ModelHost.load(request, lambda _f: None)
        self.info = self.host.info
        if not gated:  # draft at every step, whatever it costs
            self.host._loop.gate = None

    def run(
        self, messages: list[dict[str, str]], tokens: int
    ) -> tuple[str, GenerationStats, float]:
        events: list[Any] = []
        request = GenerateRequest(1, messages, SamplingParams(temperature=0.0, max_tokens=tokens))
        started = time.thread_time()
        self.host.generate(request, events.append, lambda: False)
        cpu = time.thread_time() - started
        text = "".join(event.text for event in events if isinstance(event, TextChunk))
        stats = next(event.stats for event in events if isinstance(event, Finished))
        return text, stats, cpu


def compare(off: Host, on: Host, pairs: int, tokens: int) -> dict[str, Any]:
    speeds: dict[str, list[float]] = {"off": [], "on": [], "cpu_off": [], "cpu_on": []}
    drafted = accepted = same = 0
    prompts = edit_prompts()
    for pair in range(pairs):
        messages = prompts[pair % len(prompts)]
        order = (("off", off), ("on", on)) if pair % 2 == 0 else (("on", on), ("off", off))
        results = {name: host.run(messages, tokens) for name, host in order}
        same += results["off"][0] == results["on"][0]
        for name in ("off", "on"):
            _text, stats, cpu = results[name]
            speeds[name].append(stats.tokens_per_s)
            speeds[f"cpu_{name}"].append(stats.completion_tokens / max(cpu, 1e-9))
        drafted += results["on"][1].draft_tokens
        accepted += results["on"][1].accepted_tokens
    median = {name: statistics.median(values) for name, values in speeds.items()}
    return {
        "pairs": pairs,
        "tok_s_off": round(median["off"], 1),
        "tok_s_on": round(median["on"], 1),
        "speedup": round(median["on"] / median["off"], 2) if median["off"] else 0.0,
        "cpu_tok_s_off": round(median["cpu_off"], 1),
        "cpu_tok_s_on": round(median["cpu_on"], 1),
        "cpu_speedup": round(median["cpu_on"] / median["cpu_off"], 2) if median["cpu_off"] else 0.0,
        "acceptance": round(accepted / drafted, 3) if drafted else 0.0,
        "drafted": drafted,
        "accepted": accepted,
        "same_output": same,  # pairs whose two replies are the same text
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--gpu-layers", type=int, default=0, help="-1: every layer")
    parser.add_argument("--no-draft", action="store_true", help="skip the draft-model pair")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    model = args.model or starter_model_path()
    if model is None:
        raise SystemExit("no model: pass --model (the starter package is not installed)")
    base = LoadRequest(
        model_path=str(model),
        n_ctx=2048,
        n_threads=args.threads,
        n_gpu_layers=args.gpu_layers,
        flash_attn=True,
    )
    results: dict[str, Any] = {
        "model": Path(model).name,
        "threads": args.threads,
        "gpu_layers": args.gpu_layers,
    }
    with tempfile.TemporaryDirectory() as folder:
        # (row name, request, whether the draft gate may pause drafting)
        modes: list[tuple[str, LoadRequest, bool]] = [
            ("lookup", _with(base, "lookup"), False),
            ("lookup-gated", _with(base, "lookup"), True),
        ]
        if not args.no_draft:
            draft = lower_precision_copy(Path(model), Path(folder))
            modes.append(("draft", _with(base, "draft", str(draft)), False))
            modes.append(("draft-gated", _with(base, "draft", str(draft)), True))
            results["draft_model"] = draft.name
        off = Host(_with(base, "off"))
        for name, request, gated in modes:
            on = Host(request, gated=gated)
            if on.info.speculative != request.speculative:
                raise SystemExit(f"{name}: not in effect ({on.info.speculative_note})")
            if on.info.speculative_note:  # batches round otherwise: greedy replies go plain
                print(f"{name}: {on.info.speculative_note}", file=sys.stderr)
            results[name] = compare(off, on, args.pairs, args.tokens)
    print(
        f"{'mode':<13} {'off tok/s':>9} {'on tok/s':>9} {'speedup':>8}"
        f" {'CPU-time speedup':>17} {'accepted':>9}  same reply"
    )
    for name in ("lookup", "lookup-gated", "draft", "draft-gated"):
        row = results.get(name)
        if row:
            print(
                f"{name:<13} {row['tok_s_off']:>9} {row['tok_s_on']:>9} {row['speedup']:>7}x"
                f" {row['cpu_speedup']:>16}x {row['acceptance']:>9.0%}"
                f"  {row['same_output']}/{row['pairs']}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _with(base: LoadRequest, mode: str, draft: str | None = None) -> LoadRequest:
    from dataclasses import replace

    return replace(base, speculative=mode, draft_model_path=draft)


if __name__ == "__main__":
    main()
