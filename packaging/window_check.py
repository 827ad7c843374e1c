"""Opens a built Hearth on an X display, waits for its window, and measures cold start.

    xvfb-run -a -s "-screen 0 1280x800x24" \\
        python packaging/window_check.py dist/hearth/hearth --screenshot dist/bundle-linux.png

Starts the program, polls the X server (``xdotool``) until a visible window whose
title contains "Hearth" exists, and prints the seconds from launch to that moment:
the cold start a person sees. It then waits ``--settle`` seconds (the starter model
loads meanwhile; ``--message`` types a message and sends it), optionally takes a
screenshot of the window (ImageMagick's ``import``), checks the program is still
running, and closes it. Exit status 0 only if the window appeared and the program
had not died.

Set ``HEARTH_HOME`` to a scratch folder so the run does not touch a real profile;
with ``HEARTH_REPORT_STARTUP=1`` (set by default here) the app prints its own figure
too, where the window calls ``app.smoke_test.report_startup``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLL_SECONDS = 0.05


def find_window(title: str) -> str | None:
    """The X id of a visible window whose title contains ``title``, if there is one."""
    result = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", title],
        capture_output=True,
        text=True,
        check=False,
    )
    ids = result.stdout.split()
    return ids[0] if result.returncode == 0 and ids else None


def wait_for_window(process: subprocess.Popen[bytes], title: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        window = find_window(title)
        if window:
            return window
        if process.poll() is not None:
            raise RuntimeError(f"the program exited (code {process.returncode}) with no window")
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"no window titled '{title}' within {timeout:.0f} s")


def send_message(window: str, text: str) -> None:
    """Types ``text`` where the window's keyboard focus is (the message box) and sends it."""
    subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True)
    subprocess.run(["xdotool", "type", "--delay", "20", text], check=True)
    subprocess.run(["xdotool", "key", "Return"], check=True)


def screenshot(window: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", window, str(target)], check=True)


def close(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", help="the bundled hearth executable")
    parser.add_argument("--title", default="Hearth", help="text in the window title")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before the shot")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window here")
    parser.add_argument("--message", help="type this into the window and press Enter")
    parser.add_argument("--type-after", type=float, default=4.0, help="seconds before typing")
    options = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        raise SystemExit("no X display: run under xvfb-run")
    for tool in ("xdotool",) + (("import",) if options.screenshot else ()):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (apt-get install xdotool imagemagick)")

    env = dict(os.environ)
    env.setdefault("HEARTH_REPORT_STARTUP", "1")
    env.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-window-check-"))
    env.pop("QT_QPA_PLATFORM", None)  # the real X platform, not offscreen
    started = time.monotonic()
    process = subprocess.Popen([options.program], env=env)
    try:
        window = wait_for_window(process, options.title, options.timeout)
        shown = time.monotonic() - started
        print(f"window shown {shown:.2f} s after launch (X window {window})", flush=True)
        if options.message:
            time.sleep(options.type_after)  # the starter model loads meanwhile
            send_message(window, options.message)
        time.sleep(options.settle)
        if process.poll() is not None:
            print(f"the program died after showing its window (code {process.returncode})")
            return 1
        if options.screenshot:
            screenshot(window, options.screenshot)
            print(f"screenshot: {options.screenshot}")
    except (RuntimeError, TimeoutError) as error:
        print(f"window check failed: {error}")
        return 1
    finally:
        close(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
