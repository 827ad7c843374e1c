"""The check at load is asked once per file and way of loading in a session: the engine
remembers what the host found, the host takes a known answer without checking again, and
a file replaced under the same name, or loaded another way, is checked afresh."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

from app.engine.engine import Engine
from app.engine.exact_memo import ExactBatchesMemo
from app.engine.protocol import LoadRequest, ModelInfo
from app.engine.speculative import INEXACT_NOTE


def _info(exact: bool | None) -> ModelInfo:
    return ModelInfo("m.gguf", "m", 512, 512, 1, 0, "CPU", "", "model", 0.1, exact_batches=exact)


def test_the_memo_recalls_a_load_of_the_same_file_the_same_way(tmp_path: Path, starter_model):
    model = tmp_path / "model.gguf"
    shutil.copyfile(starter_model, model)
    memo = ExactBatchesMemo()
    request = LoadRequest(str(model), speculative="lookup", flash_attn=True)
    assert memo.recall(request).exact_batches is None  # never asked: the host checks
    memo.remember(request, _info(False))
    assert memo.recall(request).exact_batches is False
    assert memo.recall(replace(request, flash_attn=False)).exact_batches is None
    assert memo.recall(replace(request, n_gpu_layers=10)).exact_batches is None
    assert memo.recall(replace(request, speculative="off")).exact_batches is None
    stat = model.stat()  # the same name, another file
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert memo.recall(request).exact_batches is None


def test_the_engine_checks_once_and_the_host_takes_a_known_answer(starter_request: LoadRequest):
    engine = Engine()
    exact = replace(starter_request, flash_attn=True, speculative="lookup")
    inexact = replace(starter_request, flash_attn=False, speculative="lookup")
    try:
        assert engine.load(exact).exact_batches is True  # checked by the host
        assert engine.load(inexact).speculative_note == INEXACT_NOTE
        # Loaded again, the answer comes from the engine's memory: one planted there for
        # the exact load shows in what the host says.
        engine._exact_batches.remember(exact, _info(False))
        again = engine.load(exact)
        assert again.exact_batches is False and again.speculative_note == INEXACT_NOTE
    finally:
        engine.unload()
    # The host takes a known answer as given: told "not exact" for a load it would find
    # exact, it says so rather than checking.
    fresh = Engine()
    try:
        told = fresh.load(replace(exact, exact_batches=False))
        assert told.exact_batches is False and told.speculative_note == INEXACT_NOTE
    finally:
        fresh.unload()
