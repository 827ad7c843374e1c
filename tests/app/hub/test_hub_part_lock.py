"""Two downloads of one file never write its .part at once: the second waits its turn.

The first download runs in a process of its own, as ``hearth models download`` would
beside the window; the second runs here, as the window's would. The test Hub slows the
file down so that both are under way together, then lets it through.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.hub.client import HubClient
from app.hub.control import DownloadControl, DownloadOutcome
from app.hub.download import DownloadSettings, FileSource, download_file
from app.hub.files import RemoteFile
from app.hub.layout import local_path, part_path
from app.hub.part_lock import PartLock, discard_part, lock_path
from app.hub.queue import DownloadQueue, ItemChanged, ItemStatus, QueueEvent
from tests.app.hub.conftest import TINY
from tests.support.hub_server import HubServer

REPO_ROOT = Path(__file__).resolve().parents[3]
NAME = "tiny-F16.gguf"  # 2 MB: about 20 s at the slowed rate, time enough for a second
SLOW_BPS = 100_000
WAIT_S = 60.0  # a guard against hanging, never a speed requirement

FIRST = """
import sys
from pathlib import Path
from app.hub.download import DownloadSettings, FileSource, download_file
from app.hub.files import RemoteFile

endpoint, repo_id, path, size, sha256, target = sys.argv[1:]
outcome = download_file(
    FileSource(endpoint, repo_id, "main", RemoteFile(path, int(size), sha256)),
    Path(target),
    settings=DownloadSettings(space_margin_bytes=0, backoff_initial_s=0.01),
)
print(outcome.value)
"""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition()`` holds; a guard against hanging, not a speed check."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Second:
    """A download of the same file on a thread of this process."""

    thread: threading.Thread
    control: DownloadControl
    outcome: list[DownloadOutcome] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def join(self) -> None:
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the second download never ended"


class WaitNotice(logging.Handler):
    """Notices the download saying that it waits for another one."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting" in record.getMessage():
            self.seen.set()


@pytest.fixture
def wait_notice() -> Iterator[WaitNotice]:
    handler = WaitNotice()
    logger = logging.getLogger("app.hub.download")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def remote(hub: HubServer) -> RemoteFile:
    served = hub.repo(TINY).files[NAME]
    return RemoteFile(NAME, len(served.data), served.sha256)


@pytest.fixture
def target(models_dir: Path) -> Path:
    return local_path(models_dir, TINY, NAME)


@pytest.fixture
def first_process(
    hub: HubServer, remote: RemoteFile, target: Path
) -> Iterator[subprocess.Popen[str]]:
    """The first download, in its own process, slowed down and part-way through."""
    hub.faults(TINY, NAME).throttle_bps = SLOW_BPS
    args = [hub.endpoint, TINY, NAME, str(remote.size), str(remote.sha256), str(target)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", FIRST, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    part = part_path(target)
    try:
        wait_for(lambda: part.exists() and part.stat().st_size >= 64 * 1024, "the first's bytes")
        yield child
    finally:
        hub.faults(TINY, NAME).throttle_bps = None
        if child.poll() is None:
            child.kill()
        child.communicate()


def start_second(
    hub: HubServer, remote: RemoteFile, target: Path, settings: DownloadSettings
) -> Second:
    control = DownloadControl()
    second = Second(threading.Thread(target=lambda: None), control)

    def run() -> None:
        try:
            second.outcome.append(
                download_file(
                    FileSource(hub.endpoint, TINY, "main", remote),
                    target,
                    control=control,
                    settings=settings,
                )
            )
        except BaseException as err:
            second.errors.append(err)

    second.thread = threading.Thread(target=run, daemon=True)
    second.thread.start()
    return second


def contended(hub: HubServer, second: Second, notice: WaitNotice) -> Callable[[], bool]:
    """True once the second download either waits or has itself asked for bytes."""

    def check() -> bool:
        asked = len(hub.file_gets(TINY, NAME)) > 1
        return notice.seen.is_set() or asked or not second.thread.is_alive()

    return check


def test_a_second_download_of_the_same_file_waits_and_the_file_verifies(
    hub: HubServer,
    remote: RemoteFile,
    target: Path,
    first_process: subprocess.Popen[str],
    fast_settings: DownloadSettings,
    wait_notice: WaitNotice,
) -> None:
    second = start_second(hub, remote, target, fast_settings)
    wait_for(contended(hub, second, wait_notice), "the two downloads to meet")
    hub.faults(TINY, NAME).throttle_bps = None  # let the first one finish

    out, err = first_process.communicate(timeout=WAIT_S)
    second.join()

    assert first_process.returncode == 0, err
    assert out.strip() == DownloadOutcome.COMPLETED.value
    assert second.errors == []
    assert second.outcome == [DownloadOutcome.ALREADY_PRESENT]
    assert wait_notice.seen.is_set()
    assert sha256_of(target) == remote.sha256
    assert len(hub.file_gets(TINY, NAME)) == 1  # only the first one fetched bytes
    assert not part_path(target).exists()
    assert not lock_path(target).exists()


def test_cancelling_a_waiting_download_leaves_the_other_ones_part_alone(
    hub: HubServer,
    remote: RemoteFile,
    target: Path,
    first_process: subprocess.Popen[str],
    fast_settings: DownloadSettings,
    wait_notice: WaitNotice,
) -> None:
    second = start_second(hub, remote, target, fast_settings)
    wait_for(contended(hub, second, wait_notice), "the two downloads to meet")
    second.control.cancel()
    second.join()
    assert second.errors == []
    assert second.outcome == [DownloadOutcome.CANCELLED]
    assert part_path(target).exists()  # still the first one's, still growing

    hub.faults(TINY, NAME).throttle_bps = None
    out, err = first_process.communicate(timeout=WAIT_S)
    assert first_process.returncode == 0, err
    assert out.strip() == DownloadOutcome.COMPLETED.value
    assert sha256_of(target) == remote.sha256


def test_pausing_a_waiting_download_then_resuming_it_after_the_other_finishes(
    hub: HubServer,
    remote: RemoteFile,
    target: Path,
    first_process: subprocess.Popen[str],
    fast_settings: DownloadSettings,
    wait_notice: WaitNotice,
) -> None:
    second = start_second(hub, remote, target, fast_settings)
    wait_for(contended(hub, second, wait_notice), "the two downloads to meet")
    second.control.pause()
    second.join()
    assert second.outcome == [DownloadOutcome.PAUSED]

    hub.faults(TINY, NAME).throttle_bps = None
    first_process.communicate(timeout=WAIT_S)
    assert first_process.returncode == 0

    again = download_file(
        FileSource(hub.endpoint, TINY, "main", remote), target, settings=fast_settings
    )
    assert again is DownloadOutcome.ALREADY_PRESENT
    assert sha256_of(target) == remote.sha256


def test_the_queue_cancelling_its_copy_keeps_the_part_another_process_writes(
    hub: HubServer,
    client: HubClient,
    remote: RemoteFile,
    target: Path,
    models_dir: Path,
    tmp_path: Path,
    first_process: subprocess.Popen[str],
    fast_settings: DownloadSettings,
    wait_notice: WaitNotice,
) -> None:
    listing = client.list_files(TINY)
    (group,) = [g for g in listing.groups if g.name == NAME]
    queue = DownloadQueue(
        models_dir, tmp_path / "downloads.json", token_provider=lambda: None, settings=fast_settings
    )
    seen: list[QueueEvent] = []
    done = threading.Event()

    def listen(event: QueueEvent) -> None:
        seen.append(event)
        if isinstance(event, ItemChanged) and event.item.status is ItemStatus.CANCELLED:
            done.set()

    queue.add_listener(listen)
    queue.start()
    try:
        item = queue.add(group, listing.revision, hub.endpoint)
        assert wait_notice.seen.wait(WAIT_S), "the queue's download never waited"
        queue.cancel(item)
        assert done.wait(WAIT_S), "the cancel never finished"
    finally:
        queue.close(timeout=WAIT_S)
    assert part_path(target).exists()

    hub.faults(TINY, NAME).throttle_bps = None
    out, err = first_process.communicate(timeout=WAIT_S)
    assert first_process.returncode == 0, err
    assert out.strip() == DownloadOutcome.COMPLETED.value
    assert sha256_of(target) == remote.sha256


def test_a_partial_file_held_by_a_download_is_not_discarded(target: Path) -> None:
    part = part_path(target)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"GGUF partial")
    holder = PartLock(target)
    assert holder.try_acquire()
    try:
        assert not PartLock(target).try_acquire()  # a second writer is refused...
        assert not discard_part(target)  # ...and so is a cleanup
        assert part.read_bytes() == b"GGUF partial"
    finally:
        holder.release()
    assert not lock_path(target).exists()
    assert discard_part(target)
    assert not part.exists()
