"""What ``hearth bench`` reports from a set of back-to-back pairs: per-token time split
inside the loop, each pair's ratio to llama-bench and their median, the first token's
overhead over a bare decode in each pair, load times; as a table and as JSON."""

from __future__ import annotations

import json

import pytest

from app.benchmark import BenchResult, FirstToken, Pair, Reference, RunFigures
from app.cli.bench_cmd import print_result


def run(tokens_per_s: float, load_s: float = 0.5) -> RunFigures:
    return RunFigures(
        load_s=load_s,
        prompt_tokens=40,
        prompt_tokens_per_s=900.0,
        ttft_ms=60.0,
        generated_tokens=128,
        tokens_per_s=tokens_per_s,
        decode_ms=10.0,
        sample_ms=0.3,
        other_ms=0.05,
    )


def result() -> BenchResult:
    pairs = (
        Pair(
            run(50.0),
            run(49.0),
            (
                FirstToken(74, 60, 110.0, 100.0),
                FirstToken(2000, 1986, 2500.0, 2490.0, decode_ms=2494.0, sample_ms=0.5),
            ),
            Reference(0.2, 55.0, 40),
        ),
        Pair(
            run(45.0),
            run(46.0),
            (
                FirstToken(74, 60, 130.0, 112.0),
                FirstToken(2000, 1986, 2600.0, 2580.0, decode_ms=2591.0, sample_ms=0.5),
            ),
            Reference(0.25, 50.0, 40),
        ),
        Pair(
            run(48.0),
            run(47.0),
            (
                FirstToken(74, 60, 120.0, 106.0),
                FirstToken(2000, 1986, 2550.0, 2536.0, decode_ms=2546.5, sample_ms=0.5),
            ),
            Reference(0.22, 60.0, 40),
        ),
    )
    return BenchResult("SmolLM2", 128, 2256, 1, run(48.0), run(47.0), pairs, "/bin/llama-bench", ())


def test_the_json_has_every_figure_with_ratios_from_the_pairs():
    data = json.loads(json.dumps(result().to_dict()))
    assert data["per_token_ms"] == {"decode": 10.0, "sampling": 0.3, "other": 0.05}
    bench = data["llama_bench"]
    assert bench["generation_ratio_per_pair"] == pytest.approx([50 / 55, 45 / 50, 48 / 60], 1e-3)
    assert bench["generation_ratio"] == pytest.approx(45 / 50, 1e-3)  # the median pair
    assert bench["depth"] == 40 and bench["load_s"] == 0.22
    short, long = data["first_token"]
    assert short["prompt_tokens"] == 74 and short["overhead_ms"] == 14.0  # median of 10, 18, 14
    assert long["prompt_tokens"] == 2000 and long["overhead_ms"] == 14.0  # of 10, 20, 14
    # Outside llama_decode and the first sample, measured in the host: 5.5, 8.5, 3.0.
    assert long["outside_decode_ms"] == 5.5 and short["outside_decode_ms"] is None
    assert data["generation_ratio_per_pair"] == pytest.approx([50 / 49, 45 / 46, 48 / 47], 1e-3)


def test_the_table_shows_the_split_the_ratio_and_the_overheads(capsys):
    print_result(result())
    out = capsys.readouterr().out
    assert "llama_decode 10.00 ms, sampling 0.300 ms, everything else 0.050 ms" in out
    assert "generation tokens/s (depth 40)" in out and "0.900" in out
    assert "first token, 74 tokens (60 new), ms" in out and "+14 ms" in out
    assert "0.909, 0.900, 0.800" in out
    assert "2000 tokens: 5.5 ms outside llama_decode and the first sample" in out
