"""``hearth bench`` also gives the first token's overhead in CPU time (the engine host's
CPU for the request less a bare decode's), which other work on a busy machine does not
inflate, with each pair's figure beside the median, and each pair's per-token split."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from app.benchmark import (
    BenchResult,
    FirstToken,
    Pair,
    RunFigures,
    _bare_decode,
    _cpu_overhead_notes,
    _process_cpu_seconds,
)
from app.engine.protocol import LoadRequest


def run(other_ms: float) -> RunFigures:
    return RunFigures(0.5, 40, 900.0, 60.0, 128, 50.0, 10.0, 0.3, other_ms)


def result() -> BenchResult:
    def firsts(short_cpu: float, long_cpu: float) -> tuple[FirstToken, ...]:
        return (
            FirstToken(74, 60, 120.0, 100.0, hearth_cpu_ms=short_cpu, bare_cpu_ms=90.0),
            FirstToken(2000, 1986, 2600.0, 2500.0, hearth_cpu_ms=long_cpu, bare_cpu_ms=2400.0),
        )

    pairs = (
        Pair(run(0.12), run(0.0), firsts(95.0, 2410.0)),
        Pair(run(0.10), run(0.0), firsts(99.0, 2430.0)),
        Pair(run(0.14), run(0.0), firsts(93.0, 2405.0)),
    )
    return BenchResult("SmolLM2", 128, 2256, 1, run(0.12), run(0.0), pairs, None, ())


def test_the_json_gives_cpu_overheads_and_each_pairs_figures():
    data = json.loads(json.dumps(result().to_dict()))
    short, long = data["first_token"]
    assert short["cpu_overhead_ms"] == 5.0  # median of 5, 9, 3
    assert short["cpu_overhead_ms_per_pair"] == [5.0, 9.0, 3.0]
    assert long["cpu_overhead_ms"] == 10.0  # median of 10, 30, 5
    assert long["overhead_ms_per_pair"] == [100.0, 100.0, 100.0]
    assert [pair["other"] for pair in data["per_token_ms_per_pair"]] == [0.12, 0.1, 0.14]


def test_the_table_notes_say_the_cpu_overhead_and_its_spread():
    (note,) = _cpu_overhead_notes(result())
    assert "74 tokens +5 ms (pairs: +5, +9, +3)" in note
    assert "2000 tokens +10 ms (pairs: +10, +30, +5)" in note


def test_without_cpu_figures_there_is_no_note():
    pair = Pair(run(0.1), run(0.0), (FirstToken(74, 60, 120.0, 100.0),))
    bare = BenchResult("m", 1, 1, 1, run(0.1), run(0.0), (pair,), None, ())
    assert _cpu_overhead_notes(bare) == ()
    assert bare.to_dict()["first_token"][0]["cpu_overhead_ms"] is None


def test_a_process_cpu_time_counts_its_work():
    before = _process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    after = _process_cpu_seconds(os.getpid())
    assert before > 0 and after - before >= 0.04
    assert _process_cpu_seconds(None) == 0.0


def test_the_bare_decode_times_the_new_tokens_after_the_kept_prefix(starter_model: Path):
    request = LoadRequest(str(starter_model), n_ctx=512, n_threads=1, n_batch=64)
    (after_prefix, wall_cpu), (from_empty, _) = _bare_decode(request, [(24, 100), (0, 8)])
    assert after_prefix > 0 and wall_cpu > 0 and from_empty > 0
