"""Sixteen streaming clients at once, for a bounded time: every stream complete and intact.

The same load and checks as ``bench/bench_api_load.py`` (which prints the figures for
the README), shorter. Replies are greedy, so each must equal its prompt's reply sent
alone: a lost, doubled or crossed piece of text would show.
"""

from __future__ import annotations

from bench.bench_api_load import PROMPTS, references, run_load
from tests.support.api_server import Served

CLIENTS = 16
SECONDS = 8.0


def test_sixteen_concurrent_streams_all_complete_and_intact(served: Served):
    expected = references(served.base_url, max_tokens=24)
    report = run_load(
        served.base_url, clients=CLIENTS, seconds=SECONDS, max_tokens=24, expected=expected
    )
    print(f"\n{report.summary()}")
    assert report.broken == [], [result.problem for result in report.broken[:3]]
    assert len(report.results) >= CLIENTS  # every client finished at least one stream
    assert {result.prompt for result in report.results} == set(PROMPTS)
    assert report.tokens_per_s > 0 and report.queue_wait_ms(99) > 0
    snapshot = served.backend.scheduler.snapshot()
    assert snapshot.waiting == 0 and snapshot.running is None
