"""llama.cpp's side of bench_offload.py: runs ``llama-bench`` and reads its JSON.

``llama-bench`` is built from the llama.cpp that llama-cpp-python 0.3.36 vendors, with
the same CMake flags as ``scripts/setup``'s build, into a cache folder (see
bench_offload.py's docstring). Each call here is one llama-bench process: the model is
loaded once and the tests (prompt processing ``pp``, generation ``tg``, optionally at
a depth already in the KV cache) run with llama-bench's own warm-up and repetitions.

llama-bench has no load-time figure; :func:`load_seconds` times a one-token run with
no warm-up and subtracts the time llama-bench reports for that token, which leaves
process start, model load and context creation.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.bench_reference import DEFAULT_BINARY, ReferenceSettings, llama_bench_rows

__all__ = ["DEFAULT_BINARY", "BenchSettings", "BenchTest", "load_seconds", "run_bench", "version"]


@dataclass(frozen=True)
class BenchSettings:
    """What both sides must share for the figures to compare."""

    threads: int
    n_gpu_layers: int  # llama.cpp's count; -1 is written as 99 (all)
    flash_attn: bool
    batch: int = 512
    repetitions: int = 3


@dataclass(frozen=True)
class BenchTest:
    n_prompt: int
    n_gen: int
    n_depth: int
    avg_ms: float
    tokens_per_s: float
    stddev_tokens_per_s: float


def run_bench(
    binary: Path,
    model: Path,
    settings: BenchSettings,
    *,
    prompt: int,
    gen: int,
    depth: int = 0,
    repetitions: int | None = None,
    warmup: bool = True,
) -> tuple[list[BenchTest], float]:
    """The tests llama-bench ran (``pp`` then ``tg``), and the process's wall time in s."""
    rows, wall = llama_bench_rows(
        binary,
        str(model),
        ReferenceSettings(
            threads=settings.threads,
            batch=settings.batch,
            n_gpu_layers=settings.n_gpu_layers,
            flash_attn=settings.flash_attn,
        ),
        prompt=prompt,
        generated=gen,
        depth=depth,
        repetitions=repetitions or settings.repetitions,
        warmup=warmup,
    )
    tests = [
        BenchTest(
            n_prompt=int(row["n_prompt"]),
            n_gen=int(row["n_gen"]),
            n_depth=int(row.get("n_depth", 0)),
            avg_ms=float(row["avg_ns"]) / 1e6,
            tokens_per_s=float(row["avg_ts"]),
            stddev_tokens_per_s=float(row["stddev_ts"]),
        )
        for row in rows
    ]
    return tests, wall


def load_seconds(binary: Path, model: Path, settings: BenchSettings) -> float:
    """Process start, model load and context creation: a 1-token run minus that token."""
    tests, wall = run_bench(binary, model, settings, prompt=1, gen=0, repetitions=1, warmup=False)
    return wall - sum(test.avg_ms for test in tests) / 1000


def version(binary: Path) -> str:
    result = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"
