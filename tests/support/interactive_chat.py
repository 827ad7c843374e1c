"""``hearth chat -i`` as a child process, on a private home, driven through its pipes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

LONG_STORY = "Write a very long story about a lighthouse, in ten chapters."


def start_interactive_chat(hearth_home: Path, *, own_group: bool = False) -> subprocess.Popen[str]:
    """The chat started on ``hearth_home``, unbuffered; ``own_group`` gives it its own
    process group, as a terminal does."""
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", "chat", "-i"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=own_group,
    )


def read_until(stream: IO[str], marker: str, deadline: float) -> str:
    """What ``stream`` says up to and including ``marker``; fails past ``deadline``."""
    seen = ""
    while marker not in seen:
        assert time.monotonic() < deadline, f"never saw {marker!r}; got {seen!r}"
        char = stream.read(1)
        assert char, f"stream ended before {marker!r}; got {seen!r}"
        seen += char
    return seen


def begin_a_long_story(child: subprocess.Popen[str], deadline: float) -> None:
    """At the prompt, asks for a long story and returns once its reply has begun."""
    assert child.stdin is not None and child.stdout is not None
    read_until(child.stdout, "> ", deadline)
    child.stdin.write(LONG_STORY + "\n")
    child.stdin.flush()
    read_until(child.stdout, " ", deadline)  # the reply has begun
