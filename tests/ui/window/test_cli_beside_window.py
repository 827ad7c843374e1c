"""The command line opened beside the window leaves the window's live reply alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ui.window.helpers import (
    last_reply,
    type_and_send,
    wait_for_reply,
    wait_for_streamed_text,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_opening_the_cli_mid_reply_does_not_mark_the_windows_reply_interrupted(
    qtbot, open_window, hearth_home: Path
) -> None:
    window = open_window(max_tokens=400)
    type_and_send(qtbot, window, "Write a very long story about a lighthouse, in ten chapters.")
    wait_for_streamed_text(qtbot, window, 20)
    reply_id = last_reply(window).message.id

    # Every command opens Hearth on the same folder, which looks for cut-off replies.
    cli = subprocess.run(
        [sys.executable, "-m", "ui.launcher", "conversations", "list"],
        cwd=REPO_ROOT,
        env={**os.environ, "HEARTH_HOME": str(hearth_home), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert cli.returncode == 0, cli.stderr
    assert "lighthouse" in cli.stdout
    during = window.hearth.conversations.get_message(reply_id).status
    assert during in ("streaming", "complete")  # never "interrupted" while it is written
    finished = wait_for_reply(qtbot, window).message
    assert finished.id == reply_id
    assert window.hearth.conversations.get_message(reply_id).status == "complete"
    assert not last_reply(window).status_label.isVisible()
