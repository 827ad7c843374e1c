"""The bundle's self-check, run here in the source tree against the real starter model."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.smoke_test import (
    SMOKE_TOKENS,
    STARTUP_VARIABLE,
    report_startup,
    run_smoke_test,
    smoke_check,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_smoke_test_loads_the_starter_model_and_generates(starter_model: Path):
    out = io.StringIO()

    assert run_smoke_test(out) == 0

    report = out.getvalue()
    assert report.startswith("Hearth smoke test: OK")
    assert str(starter_model) in report
    assert f"tokens:     {SMOKE_TOKENS} at" in report
    assert "frozen:     False" in report


def test_the_host_is_a_process_of_its_own(starter_model: Path):
    report = smoke_check(starter_model, tokens=4)

    assert report.tokens == 4
    assert report.text
    assert report.backend == "CPU"  # no layers offloaded in the smoke test
    # Out of a bundle the host is the same Python, so it is not "this bundle".
    assert Path(report.host_executable).name.startswith("python")
    assert not report.frozen
    assert not report.host_from_bundle


def test_a_broken_model_fails_the_smoke_test_with_the_reason(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    out = io.StringIO()

    assert run_smoke_test(out, model_path=broken) == 1

    assert out.getvalue().startswith("Hearth smoke test: FAILED: ")
    assert "OK" not in out.getvalue()


def test_hearth_smoke_test_needs_no_display_and_never_imports_qt(starter_model: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    code = (
        "import sys\n"
        "from ui.launcher import main\n"
        "code = main(['--smoke-test'])\n"
        "print('qt imported:', any(m.startswith('PySide6') for m in sys.modules))\n"
        "sys.exit(code)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hearth smoke test: OK" in result.stdout
    assert "qt imported: False" in result.stdout


def test_startup_report_is_silent_unless_asked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(STARTUP_VARIABLE, raising=False)
    out = io.StringIO()

    assert report_startup("window shown", out) is None
    assert out.getvalue() == ""


def test_startup_report_prints_the_time_since_launch(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(STARTUP_VARIABLE, "1")
    out = io.StringIO()

    elapsed = report_startup("window shown", out)

    assert elapsed is not None and elapsed > 0  # this process started before the test
    assert out.getvalue() == f"hearth startup: window shown after {elapsed:.3f} s\n"


def test_startup_report_can_go_to_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    log = tmp_path / "startup.txt"
    monkeypatch.setenv(STARTUP_VARIABLE, str(log))

    report_startup("window shown")
    report_startup("model ready")

    lines = log.read_text(encoding="utf-8").splitlines()
    assert [line.split(" after ")[0] for line in lines] == [
        "hearth startup: window shown",
        "hearth startup: model ready",
    ]


def test_reports_survive_a_console_that_cannot_show_every_character(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(STARTUP_VARIABLE, "1")
    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="cp1252")  # a Windows pipe's code page

    report_startup("window \u2713 shown", console)

    assert raw.getvalue().startswith(b"hearth startup: window \\u2713 shown after ")
