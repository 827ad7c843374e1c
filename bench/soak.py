"""A chaos soak of the real Hearth window: random actions from a seed, invariants after each.

Opens :class:`ui.main_window.MainWindow` the way ``hearth`` does (its own data folder held
with the single-window lock) on a private ``HEARTH_HOME`` with two real models, the starter
model and Gemma 3 270M, then performs ``--actions`` random actions drawn from ``--seed``
through the widgets a person uses (see :mod:`bench.soak_actions`): send (short, and long
messages that take a while to evaluate), Stop at random moments, regenerate, edit, switch
version, switch chat and model (also mid-reply), delete and undo, search, ``kill -9`` and
``SIGSTOP`` of the engine host, and ``hearth`` commands on the same data folder. The seed
fixes the sequence of choices; what the app is doing when each lands depends on timing.

After every action the invariants of :mod:`bench.soak_checks` are checked; every few
actions (and at the end) the soak waits for the app to go idle, which it must within
``--idle-timeout`` seconds, and checks the idle invariants too. A 10 ms heartbeat measures
the event loop's longest block (:mod:`bench.soak_heartbeat`): the gap between beats, less the
soak's own checks and less the time the GUI thread was ready but waiting for a CPU (the
machine oversubscribed); ``--judge-wall`` judges the raw gaps. Both figures are reported.

RSS is this (the window's) process's, against its level once the first model has loaded;
engine hosts are reported per model (a host's size is the model's, and each load starts a
fresh host, so a host cannot accumulate across loads).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/soak.py --actions 1000 --seed 1

Prints a summary (``--json`` for JSON on stdout); exits 1 if any invariant broke.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.chat.service import model_key
from app.hearth import Hearth
from app.paths import hearth_paths
from bench.soak_actions import DriverOptions, WindowDriver
from bench.soak_checks import Invariants, Limits, ReplyTracker, Violation
from bench.soak_heartbeat import Heartbeat
from bench.soak_processes import MIB, engine_hosts, rss_after_trim
from tests.support.gemma import GEMMA_FILE_NAME, assemble_gemma
from ui.main_window import MainWindow
from ui.single_instance import WindowLock

WEIGHTS = {
    "send": 20,
    "send_long": 5,
    "stop": 10,
    "regenerate": 8,
    "edit": 6,
    "switch_version": 6,
    "switch_chat": 8,
    "switch_model": 5,
    "delete_undo": 5,
    "search": 6,
    "kill_host": 3,
    "sigstop_host": 2,
    "cli": 4,
    "wait": 8,
}
# Actions that can only be done at some moments: tried first until each has run once.
CONDITIONAL = ("stop", "switch_version", "regenerate", "edit")
LOAD_TIMEOUT_S = 120.0
CLOSE_GRACE_S = 10.0

Log = Callable[[str], None]


@dataclass
class SoakConfig:
    actions: int = 100
    seed: int = 1
    home: Path | None = None  # a fresh temporary folder if None
    gemma: Path | None = None  # an assembled Gemma file; assembled into the home if None
    max_tokens: int = 160
    sigstop_seconds: float = 10.0
    long_message_words: int = 1500
    idle_timeout_s: float = 180.0
    max_block_ms: float = 250.0
    rss_slack_mb: float = 50.0
    stop_limit_s: float = 8.0
    cover_all: bool = True  # every kind of action early on, then by weight
    judge_wall: bool = False  # judge raw heartbeat gaps (the CPU wait included)
    only: tuple[str, ...] = ()  # a focused run: just these kinds of action (all if empty)


@dataclass
class SoakReport:
    config: dict[str, Any]
    actions_run: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    worst_block_ms: float = 0.0
    worst_block_during: str = ""
    worst_block_stack: str = ""
    worst_block_gap_ms: float = 0.0  # its raw gap, run-queue delay included
    worst_block_runqueue_ms: float = 0.0
    worst_gap_ms: float = 0.0  # the longest raw gap of all (run-queue delay included)
    worst_gap_runqueue_ms: float = 0.0
    worst_gap_during: str = ""
    runqueue_measured: bool = False
    blocks_over_100_ms: int = 0
    longest_blocks: list[dict[str, Any]] = field(default_factory=list)
    rss_baseline_mb: float = 0.0
    rss_last_idle_mb: float = 0.0
    rss_max_idle_mb: float = 0.0
    host_rss_mb: dict[str, list[float]] = field(default_factory=dict)
    rss_after_malloc_trim_mb: float | None = None  # at the end: memory truly in use
    widgets_after_first_load: int = 0
    widgets_last_idle: int = 0
    python_objects_after_first_load: int = 0
    python_objects_last_idle: int = 0
    replies: dict[str, int] = field(default_factory=dict)
    stops: int = 0
    stops_during_prompt: int = 0
    stop_latency_worst_s: float = 0.0
    stop_latency_median_s: float = 0.0
    idle_checks: int = 0
    duration_s: float = 0.0
    aborted: str = ""

    @property
    def broken(self) -> dict[str, int]:
        return dict(Counter(v.invariant for v in self.violations))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["broken"] = self.broken
        return data

    def text(self) -> str:
        lines = [
            f"Soak: {self.actions_run} actions (seed {self.config['seed']}) in"
            f" {self.duration_s / 60:.1f} min; {self.idle_checks} idle checks",
        ]
        if self.aborted:
            lines.append(f"ABORTED: {self.aborted}")
        lines.append("Actions:")
        for kind, count in sorted(self.actions.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {kind:15s} {count:5d}")
        lines.append("Outcomes:")
        for outcome, count in sorted(self.outcomes.items()):
            lines.append(f"  {outcome:55s} {count:5d}")
        lines.append(f"Replies finished: {dict(sorted(self.replies.items()))}")
        lines.append(
            f"Stops: {self.stops} ({self.stops_during_prompt} during prompt evaluation);"
            f" Stop to end of reply: median {self.stop_latency_median_s:.2f} s,"
            f" worst {self.stop_latency_worst_s:.2f} s"
        )
        lines.append(
            f"Worst event-loop block: {self.worst_block_ms:.0f} ms"
            f" (during {self.worst_block_during or '-'}; gap {self.worst_block_gap_ms:.0f} ms"
            f" of which {self.worst_block_runqueue_ms:.0f} ms waiting for a CPU);"
            f" blocks over 100 ms: {self.blocks_over_100_ms}"
        )
        lines.append(
            f"Longest heartbeat gap: {self.worst_gap_ms:.0f} ms, of which"
            f" {self.worst_gap_runqueue_ms:.0f} ms the GUI thread was waiting for a CPU"
            f" (during {self.worst_gap_during or '-'})"
            + ("" if self.runqueue_measured else "; run-queue delay not measured here")
        )
        if self.worst_block_stack:
            lines.append("  where the loop was (sampled during that block):")
            lines += [f"    {line}" for line in self.worst_block_stack.rstrip().splitlines()]
        hosts = ", ".join(
            f"{name} {min(v):.0f}-{max(v):.0f} MB" for name, v in self.host_rss_mb.items() if v
        )
        lines.append(
            f"RSS (window process): {self.rss_baseline_mb:.0f} MB after the first load,"
            f" {self.rss_last_idle_mb:.0f} MB at the last idle check, max idle"
            f" {self.rss_max_idle_mb:.0f} MB"
            + (
                f", {self.rss_after_malloc_trim_mb:.0f} MB at the end once the allocator gave"
                " back what was freed"
                if self.rss_after_malloc_trim_mb
                else ""
            )
            + f"; engine hosts: {hosts or '-'}"
        )
        lines.append(
            f"Live widgets: {self.widgets_after_first_load} after the first load,"
            f" {self.widgets_last_idle} at the last idle check; Python objects:"
            f" {self.python_objects_after_first_load} and {self.python_objects_last_idle}"
        )
        if not self.violations:
            lines.append("Invariants broken: 0")
        else:
            lines.append(f"Invariants broken: {len(self.violations)} {self.broken}")
            for violation in self.violations[:40]:
                lines.append(
                    f"  [{violation.invariant}] after action {violation.action_index}"
                    f" {violation.action} at {violation.at_s:.0f} s: {violation.detail}"
                )
            if len(self.violations) > 40:
                lines.append(f"  … and {len(self.violations) - 40} more")
        return "\n".join(lines)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# Opening the window ------------------------------------------------------------------------


def _prepare_home(config: SoakConfig, home: Path) -> None:
    os.environ["HEARTH_HOME"] = str(home)
    models = hearth_paths().ensure().models
    target = models / GEMMA_FILE_NAME
    if config.gemma is not None:
        if not target.exists():
            try:  # a hard link: the file is in the models folder, as a download would be
                os.link(config.gemma, target)
            except OSError:
                shutil.copyfile(config.gemma, target)
    else:
        assemble_gemma(models)


def _model_key(hearth: Hearth, path: Path) -> str:
    """The key the model's settings are kept under (``Hearth.model_key`` where it exists)."""
    key_of = getattr(hearth, "model_key", None)
    return str(key_of(path)) if key_of is not None else model_key(str(path))


def _open_window(config: SoakConfig) -> tuple[MainWindow, Hearth, WindowLock]:
    hearth = Hearth.open(hearth_paths())
    for model in hearth.local_models():
        key = _model_key(hearth, model.path)
        settings = hearth.model_settings.get(key)
        hearth.model_settings.save(replace(settings, max_tokens=config.max_tokens))
    lock = WindowLock(hearth.paths.data)
    if not lock.claim():
        raise RuntimeError(f"another window holds {hearth.paths.data}")
    window = MainWindow(hearth)
    lock.set_window(window)
    window.show()
    QTest.qWaitForWindowExposed(window)
    starter = next(m for m in hearth.local_models() if m.is_starter)
    window.start(str(starter.path))
    return window, hearth, lock


# The run ------------------------------------------------------------------------------------


def _choose(
    rng: random.Random,
    driver: WindowDriver,
    done: Counter[str],
    cover: bool,
    weights_by_kind: dict[str, int],
) -> tuple[str, str]:
    """Draws an action that can be done now, does it; returns (kind, outcome)."""
    if cover:
        untried = sorted(kind for kind in weights_by_kind if not done[kind])
        rng.shuffle(untried)
        # Those that need a moment (a reply streaming, versions on screen) go first.
        untried.sort(key=lambda kind: kind not in CONDITIONAL)
        for kind in untried:
            driver.heartbeat.action = f"#{driver.index} {kind}"
            outcome = driver.actions[kind]()
            if outcome is not None:
                return kind, outcome
    kinds, weights = list(weights_by_kind), list(weights_by_kind.values())
    for _ in range(20):
        kind = rng.choices(kinds, weights)[0]
        driver.heartbeat.action = f"#{driver.index} {kind}"
        outcome = driver.actions[kind]()
        if outcome is not None:
            return kind, outcome
    return "wait", driver.wait_a_moment() or ""


def run_soak(config: SoakConfig, log: Log = _stderr) -> SoakReport:
    """Runs the soak in this process (a QApplication is made if there is none)."""
    if QApplication.instance() is None:
        QApplication(sys.argv[:1])
    report = SoakReport(config={k: str(v) for k, v in asdict(config).items()})
    report.config["seed"] = config.seed
    started = time.monotonic()
    scratch = None
    if config.home is None:
        scratch = tempfile.TemporaryDirectory(prefix="hearth-soak-")
        home = Path(scratch.name)
    else:
        home = config.home
    previous_home = os.environ.get("HEARTH_HOME")
    _prepare_home(config, home)
    window, hearth, lock = _open_window(config)
    heartbeat = Heartbeat(window)
    tracker = ReplyTracker(window)
    limits = Limits(
        config.max_block_ms, config.rss_slack_mb, config.stop_limit_s, config.judge_wall
    )
    invariants = Invariants(window, tracker, heartbeat, limits)
    rng = random.Random(config.seed)
    driver = WindowDriver(
        window,
        rng,
        heartbeat,
        tracker,
        invariants,
        DriverOptions(
            home, config.sigstop_seconds, config.long_message_words, config.idle_timeout_s
        ),
    )
    done: Counter[str] = Counter()
    weights_by_kind = {
        kind: weight for kind, weight in WEIGHTS.items() if not config.only or kind in config.only
    }
    outcomes: Counter[str] = Counter()
    stops = 0
    try:
        if not driver.wait_until(lambda: window.chat.model_ready and driver.idle(), LOAD_TIMEOUT_S):
            raise RuntimeError("the first model did not load")
        invariants.open()
        driver.wait(500)
        invariants.set_rss_baseline()
        log(f"soak: home {home}, first model loaded, RSS {invariants.rss_baseline / MIB:.0f} MB")
        heartbeat.start()
        settle_in = rng.randint(3, 8)
        for index in range(1, config.actions + 1):
            driver.index = index
            heartbeat.action = f"#{index}"
            kind, outcome = _choose(rng, driver, done, config.cover_all, weights_by_kind)
            heartbeat.action = f"#{index} {kind} ({outcome})"
            tracker.note(f"action {index}: {kind} ({outcome})")
            done[kind] += 1
            outcomes[f"{kind}: {outcome}"] += 1
            stops += "Stop" in outcome or kind == "stop"
            driver.wait(rng.randint(0, 600))
            idle = driver.idle()
            settle_in -= 1
            if settle_in <= 0 or index == config.actions:
                settle_in = rng.randint(3, 8)
                idle = _settle(
                    driver,
                    invariants,
                    index,
                    heartbeat.action,
                    config,
                    final=index == config.actions,
                )
            new = invariants.check(index, f"{kind} ({outcome})", idle=idle)
            memory = (
                f" RSS {invariants.rss_last_idle / MIB:.0f} MB, {invariants.widgets_last_idle}"
                f" widgets, {invariants.objects_last_idle} objects,"
                f" {invariants.python_blocks_last_idle} blocks"
                if idle
                else ""
            )
            log(
                f"[{index:4d}/{config.actions}] {kind:14s} {outcome:40s}"
                f" {'idle' if idle else 'busy'} block {invariants.last_block_ms:4.0f} ms"
                f" (worst {heartbeat.worst.ms:.0f}){memory}"
            )
            for violation in new:
                log(f"    BROKEN [{violation.invariant}] {violation.detail}")
            if any(violation.invariant == "view" for violation in new):
                log("    the replies before it, as the window saw them:")
                for event in tracker.trail:
                    log(f"      {event}")
            report.actions_run = index
    except _Abort as abort:
        report.aborted = str(abort)
        log(f"soak aborted: {abort}")
    finally:
        heartbeat.stop()
        trimmed = rss_after_trim()
        report.rss_after_malloc_trim_mb = round(trimmed / MIB, 1) if trimmed else None
        for run in invariants.cli_runs:
            run.kill()
        window.close()
        hearth.close()
        lock.release()
        invariants.close()
        leftover = _hosts_after_close(driver)
        if leftover:
            invariants.violations.append(
                Violation(
                    "orphans",
                    f"engine hosts {sorted(leftover)} outlived the window",
                    report.actions_run,
                    "close",
                    time.monotonic() - started,
                )
            )
        window.deleteLater()
        QTest.qWait(50)
        if previous_home is None:
            os.environ.pop("HEARTH_HOME", None)
        else:
            os.environ["HEARTH_HOME"] = previous_home
        if scratch is not None:
            scratch.cleanup()
    _fill_report(report, done, outcomes, stops, heartbeat, tracker, invariants)
    report.duration_s = time.monotonic() - started
    return report


class _Abort(Exception):
    """The app stayed stuck: going on would only repeat the same finding."""


def _settle(
    driver: WindowDriver,
    invariants: Invariants,
    index: int,
    action: str,
    config: SoakConfig,
    *,
    final: bool,
) -> bool:
    """Waits for the app to go idle (and, at the end, for the CLI); False never: it aborts."""
    heartbeat = driver.heartbeat
    heartbeat.action = f"{action}, waiting for idle"
    if final:
        driver.wait_until(lambda: all(run.poll() for run in invariants.cli_runs), 300.0)
    if driver.wait_until(driver.idle, config.idle_timeout_s):
        return True
    window = driver.window
    detail = (
        f"not idle {config.idle_timeout_s:.0f} s after the action: busy={window.chat.busy},"
        f" loading={window.model_bar.progress.isVisible()},"
        f" status line {window.statusBar().currentMessage()!r}"
    )
    invariants.violations.append(
        Violation("hang", detail, index, action, time.monotonic() - invariants.started)
    )
    driver.tracker.note_stop()
    window.chat.stop()
    if driver.wait_until(driver.idle, 60.0):
        return True
    raise _Abort(f"still not idle after Stop: {detail}")


def _hosts_after_close(driver: WindowDriver) -> set[int]:
    deadline = time.monotonic() + CLOSE_GRACE_S
    hosts = engine_hosts()
    while hosts and time.monotonic() < deadline:
        time.sleep(0.1)
        hosts = engine_hosts()
    return hosts


def _fill_report(
    report: SoakReport,
    done: Counter[str],
    outcomes: Counter[str],
    stops: int,
    heartbeat: Heartbeat,
    tracker: ReplyTracker,
    invariants: Invariants,
) -> None:
    report.actions = dict(done)
    report.outcomes = dict(outcomes)
    report.violations = list(invariants.violations)
    worst, gap = heartbeat.worst, heartbeat.worst_wall
    report.worst_block_ms = round(worst.ms, 1)
    report.worst_block_during = worst.action
    report.worst_block_stack = worst.stack
    report.worst_block_gap_ms = round(worst.wall_ms, 1)
    report.worst_block_runqueue_ms = round(worst.runqueue_ms, 1)
    report.worst_gap_ms = round(gap.wall_ms, 1)
    report.worst_gap_runqueue_ms = round(gap.runqueue_ms, 1)
    report.worst_gap_during = gap.action
    report.runqueue_measured = heartbeat.measures_runqueue
    report.blocks_over_100_ms = len(heartbeat.blocks)
    report.longest_blocks = [
        asdict(block) for block in sorted(heartbeat.blocks, key=lambda b: -b.ms)[:10]
    ]
    report.rss_baseline_mb = round(invariants.rss_baseline / MIB, 1)
    report.rss_last_idle_mb = round(invariants.rss_last_idle / MIB, 1)
    report.rss_max_idle_mb = round(invariants.rss_max / MIB, 1)
    report.widgets_after_first_load = invariants.widgets_baseline
    report.widgets_last_idle = invariants.widgets_last_idle
    report.python_objects_after_first_load = invariants.objects_baseline
    report.python_objects_last_idle = invariants.objects_last_idle
    report.host_rss_mb = {
        name: [round(min(v) / MIB, 1), round(max(v) / MIB, 1)]
        for name, v in invariants.host_rss.items()
        if v
    }
    report.replies = dict(tracker.statuses)
    report.stops = stops
    report.stops_during_prompt = tracker.stops_during_prompt
    if tracker.stop_latencies:
        report.stop_latency_worst_s = round(max(tracker.stop_latencies), 2)
        report.stop_latency_median_s = round(statistics.median(tracker.stop_latencies), 2)
    report.idle_checks = invariants.idle_checks


def main(argv: list[str] | None = None) -> int:
    faulthandler.enable()  # a crash in Qt or llama.cpp leaves every thread's Python stack
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100, help="how many actions (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    parser.add_argument("--home", type=Path, help="HEARTH_HOME to use (default: a fresh one)")
    parser.add_argument("--gemma", type=Path, help="an assembled Gemma 3 270M GGUF to reuse")
    parser.add_argument("--max-tokens", type=int, default=160, help="reply length cap")
    parser.add_argument("--sigstop-seconds", type=float, default=10.0)
    parser.add_argument("--idle-timeout", type=float, default=180.0, help="seconds")
    parser.add_argument(
        "--judge-wall",
        action="store_true",
        help="judge raw heartbeat gaps, time the GUI thread waited for a CPU included",
    )
    parser.add_argument(
        "--only",
        default="",
        help="a focused run: comma-separated kinds of action (" + ", ".join(WEIGHTS) + ")",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    only = tuple(kind for kind in args.only.split(",") if kind)
    unknown = sorted(set(only) - set(WEIGHTS))
    if unknown:
        parser.error(f"unknown kinds of action: {', '.join(unknown)}")
    config = SoakConfig(
        actions=args.actions,
        seed=args.seed,
        home=args.home,
        gemma=args.gemma,
        max_tokens=args.max_tokens,
        sigstop_seconds=args.sigstop_seconds,
        idle_timeout_s=args.idle_timeout,
        judge_wall=args.judge_wall,
        only=only,
    )
    from ui.style import apply_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_style(app)
    report = run_soak(config)
    if args.json:
        _stderr(report.text())
        print(json.dumps(report.to_json(), indent=2, default=str))
    else:
        print(report.text())
    return 1 if report.violations or report.aborted else 0


if __name__ == "__main__":
    sys.exit(main())
