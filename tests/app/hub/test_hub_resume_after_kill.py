"""A download killed with SIGKILL resumes in a new process from its .part, and verifies."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.hub.control import DownloadOutcome
from app.hub.download import DownloadSettings, FileSource, download_file
from app.hub.files import RemoteFile
from app.hub.layout import local_path, part_path
from tests.app.hub.conftest import TINY
from tests.support.hub_server import HubServer

REPO_ROOT = Path(__file__).resolve().parents[3]
# The download as the app would run it, in a process of its own that the test can kill.
SCRIPT = """
import sys
from pathlib import Path
from app.hub.download import DownloadSettings, FileSource, download_file
from app.hub.files import RemoteFile

endpoint, repo_id, path, size, sha256, target = sys.argv[1:]
remote = RemoteFile(path, int(size), sha256)
download_file(
    FileSource(endpoint, repo_id, "main", remote),
    Path(target),
    settings=DownloadSettings(space_margin_bytes=0),
)
"""


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 60.0) -> None:
    """Poll until ``condition()`` holds; a guard against hanging, not a speed check."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_kill_mid_download_then_resume_with_a_range_request(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    name = "tiny-F16.gguf"
    served = hub.repo(TINY).files[name]
    hub.faults(TINY, name).throttle_bps = 100_000  # ~20 s for the whole file: time to kill it
    target = local_path(models_dir, TINY, name)
    part = part_path(target)
    args = [hub.endpoint, TINY, name, str(len(served.data)), served.sha256, str(target)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    child = subprocess.Popen([sys.executable, "-c", SCRIPT, *args], env=env)
    try:
        wait_for(lambda: part.exists() and part.stat().st_size >= 64 * 1024, "some bytes")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    kept = part.stat().st_size
    assert 0 < kept < len(served.data)
    assert not target.exists()
    hub.faults(TINY, name).throttle_bps = None

    outcome = download_file(
        FileSource(hub.endpoint, TINY, "main", RemoteFile(name, len(served.data), served.sha256)),
        target,
        settings=fast_settings,
    )

    assert outcome is DownloadOutcome.COMPLETED
    gets = hub.file_gets(TINY, name)
    assert gets[0].range is None  # the killed process started from scratch
    assert gets[-1].range == f"bytes={kept}-"  # the new one carried on from the .part
    assert hashlib.sha256(target.read_bytes()).hexdigest() == served.sha256
    assert not part.exists()
