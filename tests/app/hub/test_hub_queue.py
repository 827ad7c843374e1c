"""The download queue against the real test Hub: one at a time, pause, resume, cancel,
failures, and unfinished downloads that outlive the process (closed or killed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.hub.client import HubClient, RepoListing
from app.hub.download import DownloadSettings
from app.hub.files import ModelFileGroup
from app.hub.layout import local_path, part_path
from app.hub.queue import DownloadQueue, ItemChanged, ItemProgress, ItemStatus, QueueEvent
from tests.app.hub.conftest import GATED, GATED_TOKEN, SPLIT_PARTS, TINY
from tests.support.hub_server import HubServer

REPO_ROOT = Path(__file__).resolve().parents[3]
WAIT_S = 60.0  # a guard against hanging, never a speed requirement


class Recorder:
    """Collects queue events; tests wait on it for what a user would see."""

    def __init__(self) -> None:
        self.events: list[QueueEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: QueueEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self._cond:
            assert self._cond.wait_for(predicate, WAIT_S), f"gave up waiting for {what}"

    def statuses(self, item_id: str) -> list[ItemStatus]:
        with self._cond:
            return [
                e.item.status
                for e in self.events
                if isinstance(e, ItemChanged) and e.item.item_id == item_id
            ]

    def wait_status(self, item_id: str, status: ItemStatus) -> None:
        self.wait(lambda: status in self.statuses(item_id), f"{item_id} {status.value}")

    def wait_bytes(self, item_id: str, at_least: int) -> None:
        def arrived() -> bool:
            return any(
                isinstance(e, ItemProgress) and e.item_id == item_id and e.progress.done >= at_least
                for e in self.events
            )

        self.wait(arrived, f"{at_least} bytes of {item_id}")

    def index(self, item_id: str, status: ItemStatus) -> int:
        with self._cond:
            for n, e in enumerate(self.events):
                if (
                    isinstance(e, ItemChanged)
                    and e.item.item_id == item_id
                    and e.item.status is status
                ):
                    return n
        raise AssertionError(f"no {status} event for {item_id}")


@pytest.fixture
def listing(client: HubClient) -> RepoListing:
    return client.list_files(TINY)


def group(listing: RepoListing, name: str) -> ModelFileGroup:
    (found,) = [g for g in listing.groups if g.name == name]
    return found


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "downloads.json"


@pytest.fixture
def make_queue(
    models_dir: Path, state_file: Path, fast_settings: DownloadSettings
) -> Iterator[Callable[..., tuple[DownloadQueue, Recorder]]]:
    made: list[DownloadQueue] = []

    def make(token: Callable[[], str | None] = lambda: None) -> tuple[DownloadQueue, Recorder]:
        queue = DownloadQueue(models_dir, state_file, token_provider=token, settings=fast_settings)
        recorder = Recorder()
        queue.add_listener(recorder)
        queue.start()
        made.append(queue)
        return queue, recorder

    yield make
    for queue in made:
        queue.close(timeout=WAIT_S)


def stored_items(state_file: Path) -> list[dict[str, object]]:
    return list(json.loads(state_file.read_text())["items"])


def test_downloads_run_one_at_a_time_and_land_verified(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
    state_file: Path,
) -> None:
    queue, events = make_queue()
    single = queue.add(group(listing, "tiny-Q4_K_M.gguf"), listing.revision, hub.endpoint)
    split = queue.add(group(listing, "big/tiny-big-Q2_K.gguf"), listing.revision, hub.endpoint)

    assert queue.wait_idle(WAIT_S)
    events.wait_status(split, ItemStatus.COMPLETED)

    for item_id in (single, split):
        assert events.statuses(item_id) == [
            ItemStatus.QUEUED,
            ItemStatus.DOWNLOADING,
            ItemStatus.COMPLETED,
        ]
    # The second started only once the first was done.
    assert events.index(single, ItemStatus.COMPLETED) < events.index(split, ItemStatus.DOWNLOADING)
    for name in ["tiny-Q4_K_M.gguf", *SPLIT_PARTS]:
        path = local_path(models_dir, TINY, name)
        assert path.read_bytes() == hub.repo(TINY).files[name].data
        assert not part_path(path).exists()
    assert stored_items(state_file) == []  # nothing left to resume
    assert {i.status for i in queue.items()} == {ItemStatus.COMPLETED}


def test_pause_then_resume_continues_from_the_part(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
    state_file: Path,
) -> None:
    name = "tiny-Q8_0.gguf"
    hub.faults(TINY, name).throttle_bps = 200_000
    queue, events = make_queue()
    item_id = queue.add(group(listing, name), listing.revision, hub.endpoint)
    events.wait_bytes(item_id, 1)

    queue.pause(item_id)
    events.wait_status(item_id, ItemStatus.PAUSED)

    part = part_path(local_path(models_dir, TINY, name))
    kept = part.stat().st_size
    assert 0 < kept < len(hub.repo(TINY).files[name].data)
    assert [i["status"] for i in stored_items(state_file)] == ["paused"]
    assert queue.item(item_id).done == kept  # type: ignore[union-attr]

    hub.faults(TINY, name).throttle_bps = None
    queue.resume(item_id)
    events.wait_status(item_id, ItemStatus.COMPLETED)

    assert hub.file_gets(TINY, name)[-1].range == f"bytes={kept}-"
    assert local_path(models_dir, TINY, name).read_bytes() == hub.repo(TINY).files[name].data


def test_cancelling_a_split_download_deletes_what_it_wrote(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
    state_file: Path,
) -> None:
    split = group(listing, "big/tiny-big-Q2_K.gguf")
    hub.faults(TINY, SPLIT_PARTS[1]).throttle_bps = 100_000
    queue, events = make_queue()
    item_id = queue.add(split, listing.revision, hub.endpoint)
    events.wait_bytes(item_id, split.parts[0].size + 1)  # part 1 done, part 2 under way
    assert local_path(models_dir, TINY, SPLIT_PARTS[0]).exists()

    queue.cancel(item_id)
    events.wait_status(item_id, ItemStatus.CANCELLED)

    for name in SPLIT_PARTS:
        path = local_path(models_dir, TINY, name)
        assert not path.exists() and not part_path(path).exists()
    assert queue.items() == []
    assert stored_items(state_file) == []


def test_cancelling_a_paused_item_deletes_its_part(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
) -> None:
    name = "tiny-Q8_0.gguf"
    hub.faults(TINY, name).throttle_bps = 200_000
    queue, events = make_queue()
    item_id = queue.add(group(listing, name), listing.revision, hub.endpoint)
    events.wait_bytes(item_id, 1)
    queue.pause(item_id)
    events.wait_status(item_id, ItemStatus.PAUSED)
    part = part_path(local_path(models_dir, TINY, name))
    assert part.exists()

    queue.cancel(item_id)

    assert events.statuses(item_id)[-1] is ItemStatus.CANCELLED
    assert not part.exists()
    assert queue.items() == []


def test_a_paused_queued_item_waits_until_resumed(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
) -> None:
    hub.faults(TINY, "tiny-Q8_0.gguf").throttle_bps = 300_000
    queue, events = make_queue()
    first = queue.add(group(listing, "tiny-Q8_0.gguf"), listing.revision, hub.endpoint)
    second = queue.add(group(listing, "tiny-Q4_K_M.gguf"), listing.revision, hub.endpoint)
    queue.pause(second)

    assert queue.wait_idle(WAIT_S)
    events.wait_status(first, ItemStatus.COMPLETED)
    assert events.statuses(second) == [ItemStatus.QUEUED, ItemStatus.PAUSED]
    assert hub.file_gets(TINY, "tiny-Q4_K_M.gguf") == []

    queue.resume(second)
    events.wait_status(second, ItemStatus.COMPLETED)
    assert local_path(models_dir, TINY, "tiny-Q4_K_M.gguf").exists()


def test_a_failed_download_says_why_and_can_be_retried(
    hub: HubServer,
    client: HubClient,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
    state_file: Path,
) -> None:
    gated = client.list_files(GATED)
    token: list[str | None] = [None]
    queue, events = make_queue(token=lambda: token[0])
    item_id = queue.add(gated.groups[0], gated.revision, hub.endpoint)
    events.wait_status(item_id, ItemStatus.FAILED)

    failed = queue.item(item_id)
    assert failed is not None and failed.error is not None
    assert f"{hub.endpoint}/{GATED}" in failed.error
    assert [(i["status"], i["error"]) for i in stored_items(state_file)] == [
        ("failed", failed.error)
    ]

    token[0] = GATED_TOKEN  # the user accepted the licence and set a token
    queue.resume(item_id)
    events.wait_status(item_id, ItemStatus.COMPLETED)
    assert local_path(models_dir, GATED, "gated-Q4_0.gguf").exists()


def test_unfinished_downloads_are_listed_and_resumed_after_a_restart(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
) -> None:
    name = "tiny-Q8_0.gguf"
    hub.faults(TINY, name).throttle_bps = 200_000
    first_run, events = make_queue()
    item_id = first_run.add(group(listing, name), listing.revision, hub.endpoint)
    events.wait_bytes(item_id, 1)
    first_run.close(timeout=WAIT_S)  # quitting the app pauses the download
    kept = part_path(local_path(models_dir, TINY, name)).stat().st_size
    hub.faults(TINY, name).throttle_bps = None

    second_run, events = make_queue()
    (restored,) = second_run.items()
    assert (restored.item_id, restored.status, restored.done) == (item_id, ItemStatus.PAUSED, kept)

    second_run.resume(item_id)
    events.wait_status(item_id, ItemStatus.COMPLETED)
    assert hub.file_gets(TINY, name)[-1].range == f"bytes={kept}-"
    assert local_path(models_dir, TINY, name).read_bytes() == hub.repo(TINY).files[name].data


QUEUE_SCRIPT = """
import sys, time
from pathlib import Path
from app.hub.client import HubClient
from app.hub.download import DownloadSettings
from app.hub.queue import DownloadQueue

endpoint, repo_id, name, models, state = sys.argv[1:]
listing = HubClient(endpoint, token_provider=lambda: None).list_files(repo_id)
(group,) = [g for g in listing.groups if g.name == name]
queue = DownloadQueue(
    Path(models), Path(state), token_provider=lambda: None,
    settings=DownloadSettings(space_margin_bytes=0),
)
queue.start()
queue.add(group, listing.revision, endpoint)
queue.wait_idle()
"""


def test_a_download_killed_with_the_app_is_resumed_by_the_next_run(
    hub: HubServer,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
    models_dir: Path,
    state_file: Path,
) -> None:
    name = "tiny-F16.gguf"
    hub.faults(TINY, name).throttle_bps = 100_000
    part = part_path(local_path(models_dir, TINY, name))
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            QUEUE_SCRIPT,
            hub.endpoint,
            TINY,
            name,
            str(models_dir),
            str(state_file),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while not (part.exists() and part.stat().st_size >= 64 * 1024):
            assert time.monotonic() < deadline and child.poll() is None, "no bytes arrived"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert [i["status"] for i in stored_items(state_file)] == ["downloading"]
    kept = part.stat().st_size
    hub.faults(TINY, name).throttle_bps = None

    queue, events = make_queue()
    (restored,) = queue.items()
    assert (restored.status, restored.done) == (ItemStatus.PAUSED, kept)
    queue.resume(restored.item_id)
    events.wait_status(restored.item_id, ItemStatus.COMPLETED)

    assert hub.file_gets(TINY, name)[-1].range == f"bytes={kept}-"
    assert local_path(models_dir, TINY, name).read_bytes() == hub.repo(TINY).files[name].data
    assert stored_items(state_file) == []


def test_a_damaged_download_list_is_set_aside(
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]], state_file: Path
) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json")

    queue, _ = make_queue()

    assert queue.items() == []
    assert state_file.with_name("downloads.json.damaged").read_text() == "{not json"


def test_adding_a_model_that_is_already_listed_resumes_it(
    hub: HubServer,
    listing: RepoListing,
    make_queue: Callable[..., tuple[DownloadQueue, Recorder]],
) -> None:
    queue, events = make_queue()
    model = group(listing, "tiny-Q8_0.gguf")
    hub.faults(TINY, model.name).throttle_bps = 200_000
    item_id = queue.add(model, listing.revision, hub.endpoint)
    events.wait_bytes(item_id, 1)
    queue.pause(item_id)
    events.wait_status(item_id, ItemStatus.PAUSED)
    hub.faults(TINY, model.name).throttle_bps = None

    assert queue.add(model, listing.revision, hub.endpoint) == item_id
    events.wait_status(item_id, ItemStatus.COMPLETED)
    assert len(queue.items()) == 1
