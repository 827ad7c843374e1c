"""llama.cpp's own ``llama-bench``, the reference ``hearth bench`` compares against.

Owns finding the binary and running it. It is built once from the llama.cpp that
llama-cpp-python 0.3.36 vendors, with the CMake flags ``scripts/setup`` uses, into
``~/.cache/hearth/llama-bench`` (``HEARTH_LLAMA_BENCH`` names another binary)::

    pip download llama-cpp-python==0.3.36 --no-binary :all: --no-deps -d ~/.cache/hearth/src
    tar xzf ~/.cache/hearth/src/llama_cpp_python-0.3.36.tar.gz -C ~/.cache/hearth/src
    cmake -S ~/.cache/hearth/src/llama_cpp_python-0.3.36/vendor/llama.cpp \\
        -B ~/.cache/hearth/llama-bench/build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \\
        -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \\
        -DLLAMA_CURL=OFF
    cmake --build ~/.cache/hearth/llama-bench/build -j2 --target llama-bench

Each run is one process: the model loads, the test runs (``-p`` prompt tokens, ``-n``
generated tokens, after ``-d`` tokens already in the KV cache) and llama-bench prints
its averages as JSON. Load time is a one-token run's wall time less that token.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BINARY = Path.home() / ".cache" / "hearth" / "llama-bench" / "build" / "bin" / "llama-bench"


def find_llama_bench() -> Path | None:
    """The llama-bench binary to compare with, or None when none has been built."""
    named = os.environ.get("HEARTH_LLAMA_BENCH")
    path = Path(named) if named else DEFAULT_BINARY
    return path if path.is_file() and os.access(path, os.X_OK) else None


@dataclass(frozen=True)
class ReferenceSettings:
    """What both sides share: threads, batch, GPU layers and flash attention."""

    threads: int
    batch: int = 512
    n_gpu_layers: int = 0
    flash_attn: bool = False


@dataclass(frozen=True)
class ReferenceTest:
    prompt: int
    generated: int
    depth: int
    seconds: float  # the test's average wall time
    tokens_per_s: float


def llama_bench_rows(
    binary: Path,
    model: str,
    settings: ReferenceSettings,
    *,
    prompt: int,
    generated: int,
    depth: int = 0,
    repetitions: int = 1,
    warmup: bool = True,
) -> tuple[list[dict[str, Any]], float]:
    """llama-bench's JSON rows for one run (``pp`` before ``tg``), and the process's wall
    time in seconds."""
    command = [
        str(binary),
        "-m",
        model,
        "-t",
        str(settings.threads),
        "-ngl",
        str(99 if settings.n_gpu_layers < 0 else settings.n_gpu_layers),
        "-fa",
        "1" if settings.flash_attn else "0",
        "-b",
        str(settings.batch),
        "-ub",
        str(settings.batch),
        "-p",
        str(prompt),
        "-n",
        str(generated),
        "-d",
        str(depth),
        "-r",
        str(repetitions),
        "-o",
        "json",
    ]
    if not warmup:
        command.append("--no-warmup")
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"llama-bench failed ({result.returncode}): {tail}")
    return list(json.loads(result.stdout)), wall


def run_llama_bench(
    binary: Path,
    model: str,
    settings: ReferenceSettings,
    *,
    prompt: int,
    generated: int,
    depth: int = 0,
    repetitions: int = 1,
    warmup: bool = True,
) -> tuple[ReferenceTest, float]:
    """One llama-bench test, and the process's wall time in seconds."""
    rows, wall = llama_bench_rows(
        binary,
        model,
        settings,
        prompt=prompt,
        generated=generated,
        depth=depth,
        repetitions=repetitions,
        warmup=warmup,
    )
    row = rows[0]
    test = ReferenceTest(
        prompt=int(row["n_prompt"]),
        generated=int(row["n_gen"]),
        depth=int(row.get("n_depth", 0)),
        seconds=float(row["avg_ns"]) / 1e9,
        tokens_per_s=float(row["avg_ts"]),
    )
    return test, wall


def load_seconds(binary: Path, model: str, settings: ReferenceSettings) -> float:
    """Process start, model load and context creation, as llama-bench does them."""
    test, wall = run_llama_bench(binary, model, settings, prompt=1, generated=0, warmup=False)
    return wall - test.seconds
