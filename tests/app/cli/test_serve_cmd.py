"""``hearth serve`` as a person runs it: it says where it serves, answers, and Ctrl+C stops it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _serve(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HEARTH_HOME": str(home), "PYTHONUNBUFFERED": "1", **env},
        start_new_session=True,
    )


def _line_with(stream, text: str, deadline: float) -> str:  # type: ignore[no-untyped-def]
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        assert line, f"ended before {text!r}: {''.join(seen)!r}"
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"never saw {text!r}: {''.join(seen)!r}")


def test_serve_answers_until_ctrl_c(hearth_home: Path):
    child = _serve(hearth_home, "--port", "0", "--api-key", "key-for-the-test")
    try:
        line = _line_with(child.stderr, "Serving at", time.monotonic() + 120)
        url = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
        assert url is not None, line
        request = urllib.request.Request(
            f"{url.group(1)}/models", headers={"Authorization": "Bearer key-for-the-test"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            models = json.loads(response.read())
        assert [model["id"] for model in models["data"]] == ["SmolLM2-135M-Instruct"]
        os.killpg(child.pid, signal.SIGINT)  # Ctrl+C in the terminal
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()  # reaped, its pipes closed: nothing left for later tests
    assert child.returncode == 0, err
    assert "Stopping" in err and "Traceback" not in err


def test_serving_beyond_loopback_without_a_key_is_refused_before_loading(hearth_home: Path):
    child = _serve(hearth_home, "--host", "0.0.0.0", "--port", "0", HEARTH_API_KEY="")
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert "API key is required" in err and "Loading" not in err


def test_ctrl_c_before_the_wait_has_begun_still_stops_the_server(
    hearth_home: Path, monkeypatch: pytest.MonkeyPatch
):
    from app.cli import serve_cmd
    from app.cli.main import main as cli_main

    said: list[str] = []

    def status(text: str) -> None:
        said.append(text)
        if text.startswith("Press Ctrl+C"):  # Ctrl+C as the last line is printed
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(serve_cmd, "status", status)
    before = signal.getsignal(signal.SIGINT)  # ignored where CI runs in the background
    try:
        code = cli_main(["serve", "--port", "0"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl+C escaped the command with the server still running")
    assert code == 0 and said[-1] == "Stopping..."
    assert signal.getsignal(signal.SIGINT) == before  # put back
    url = next(line for line in said if line.startswith("Serving at")).split()[2]
    with pytest.raises(OSError):  # the port is closed
        urllib.request.urlopen(f"{url}/models", timeout=5)
