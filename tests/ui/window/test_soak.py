"""A short chaos soak of the real window (``bench/soak.py``): no invariant may break.

Thirty actions from a fixed seed, every kind at least once (send, long sends stopped
during prompt evaluation, Stop, regenerate, edit, versions, chat and model switches
mid-reply, delete and undo, search, ``kill -9`` and ``SIGSTOP`` of the engine host, and
``hearth`` commands on the same data folder), with the starter model and Gemma 3 270M.
The freeze lasts 6 s: past the 5 s Hearth gives a host to confirm Stop.
"""

from __future__ import annotations

from pathlib import Path

from bench.soak import SoakConfig, run_soak


def test_a_short_chaos_soak_of_the_window_breaks_no_invariant(
    qtbot, hearth_home: Path, gemma_model: Path
) -> None:
    config = SoakConfig(
        actions=30,
        seed=20261130,
        home=hearth_home,
        gemma=gemma_model,
        max_tokens=96,
        sigstop_seconds=6.0,
        long_message_words=1200,
        idle_timeout_s=90.0,
    )

    report = run_soak(config, log=print)

    print(report.text())
    assert report.actions_run == 30 and not report.aborted
    assert len(report.actions) == 14, report.actions  # every kind of action ran
    assert report.violations == [], report.text()
    assert report.worst_block_ms <= 250
