"""Downloads from the real test Hub: verified, resumable, and failing clearly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.hub.control import DownloadControl, DownloadOutcome
from app.hub.download import DownloadSettings, FileSource, download_file, download_group
from app.hub.errors import (
    ChecksumMismatchError,
    DownloadError,
    DownloadInterruptedError,
    HubAccessError,
)
from app.hub.files import RemoteFile
from app.hub.layout import local_path, part_path
from app.hub.progress import DownloadProgress
from app.library.gguf_header import read_gguf_header
from tests.app.hub.conftest import GATED, GATED_TOKEN, SPLIT_PARTS, TINY
from tests.support.hub_server import HubServer


def remote_file(hub: HubServer, repo_id: str, path: str) -> RemoteFile:
    served = hub.repo(repo_id).files[path]
    return RemoteFile(path, len(served.data), served.sha256 if served.lfs else None, served.blob_id)


def source(hub: HubServer, path: str, repo_id: str = TINY) -> FileSource:
    return FileSource(hub.endpoint, repo_id, "main", remote_file(hub, repo_id, path))


def target_for(models_dir: Path, path: str, repo_id: str = TINY) -> Path:
    return local_path(models_dir, repo_id, path)


def ranges(hub: HubServer, path: str, repo_id: str = TINY) -> list[str | None]:
    return [r.range for r in hub.file_gets(repo_id, path)]


def test_pull_a_file_end_to_end(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    seen: list[DownloadProgress] = []
    target = target_for(models_dir, "tiny-Q4_K_M.gguf")

    outcome = download_file(
        source(hub, "tiny-Q4_K_M.gguf"), target, on_progress=seen.append, settings=fast_settings
    )

    served = hub.repo(TINY).files["tiny-Q4_K_M.gguf"]
    assert outcome is DownloadOutcome.COMPLETED
    assert target == models_dir / "hearth-test" / "Tiny-GGUF" / "tiny-Q4_K_M.gguf"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == served.sha256
    assert not part_path(target).exists()
    assert read_gguf_header(target).architecture == "llama"
    assert seen[-1].done == seen[-1].total == len(served.data)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert ranges(hub, "tiny-Q4_K_M.gguf") == [None]  # a fresh download asks for it all


def test_a_file_kept_in_plain_git_is_verified_by_its_blob_id(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    target = target_for(models_dir, "small-IQ2_XS.gguf")
    outcome = download_file(source(hub, "small-IQ2_XS.gguf"), target, settings=fast_settings)
    assert outcome is DownloadOutcome.COMPLETED
    assert target.read_bytes() == hub.repo(TINY).files["small-IQ2_XS.gguf"].data


def test_a_split_model_downloads_every_part(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    from app.hub.client import HubClient

    listing = HubClient(endpoint=hub.endpoint, token_provider=lambda: None).list_files(TINY)
    (group,) = [g for g in listing.groups if g.is_split]
    seen: list[DownloadProgress] = []
    finished: list[str] = []

    outcome = download_group(
        hub.endpoint,
        listing.revision,
        group,
        models_dir,
        on_progress=seen.append,
        on_file_done=lambda remote, path, how: finished.append(remote.path),
        settings=fast_settings,
    )

    assert outcome is DownloadOutcome.COMPLETED
    assert finished == SPLIT_PARTS
    for name in SPLIT_PARTS:
        path = target_for(models_dir, name)
        assert path.read_bytes() == hub.repo(TINY).files[name].data
        assert not part_path(path).exists()
    assert seen[-1].done == seen[-1].total == group.total_size
    # The files were fetched at the listed commit, not at whatever "main" is later.
    resolves = [r.path for r in hub.requests if "/resolve/" in r.path]
    assert resolves and all(f"/resolve/{listing.revision}/" in p for p in resolves)

    again = download_group(hub.endpoint, listing.revision, group, models_dir)
    assert again is DownloadOutcome.ALREADY_PRESENT


def test_wrong_bytes_are_rejected_and_deleted(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    hub.faults(TINY, "tiny-Q4_K_M.gguf").corrupt = True
    target = target_for(models_dir, "tiny-Q4_K_M.gguf")

    with pytest.raises(ChecksumMismatchError, match="arrived damaged") as caught:
        download_file(source(hub, "tiny-Q4_K_M.gguf"), target, settings=fast_settings)

    assert caught.value.expected == hub.repo(TINY).files["tiny-Q4_K_M.gguf"].sha256
    assert not target.exists()
    assert not part_path(target).exists()


def test_a_dropped_connection_is_retried_and_resumes_where_it_stopped(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    faults = hub.faults(TINY, "tiny-Q8_0.gguf")
    faults.drop_after, faults.drops = 100_000, 2
    target = target_for(models_dir, "tiny-Q8_0.gguf")

    outcome = download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)

    assert outcome is DownloadOutcome.COMPLETED
    assert target.read_bytes() == hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    asked = ranges(hub, "tiny-Q8_0.gguf")
    assert len(asked) == 3 and asked[0] is None
    offsets = [int(r.removeprefix("bytes=").rstrip("-")) for r in asked[1:] if r]
    assert len(offsets) == 2 and 0 < offsets[0] < offsets[1]


def test_progress_between_drops_keeps_a_flaky_download_going(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    faults = hub.faults(TINY, "tiny-Q8_0.gguf")
    faults.drop_after, faults.drops = 100_000, -1  # every connection breaks
    settings = DownloadSettings(**{**fast_settings.__dict__, "max_attempts": 2})
    target = target_for(models_dir, "tiny-Q8_0.gguf")

    outcome = download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=settings)

    assert outcome is DownloadOutcome.COMPLETED
    assert len(ranges(hub, "tiny-Q8_0.gguf")) > settings.max_attempts


def test_a_connection_that_never_works_gives_up_after_bounded_attempts(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    data = hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    target = target_for(models_dir, "tiny-Q8_0.gguf")
    target.parent.mkdir(parents=True)
    part_path(target).write_bytes(data[:100_000])
    faults = hub.faults(TINY, "tiny-Q8_0.gguf")
    faults.drop_after, faults.drops = 0, -1  # every connection breaks before any byte

    with pytest.raises(DownloadInterruptedError, match="partial download is kept"):
        download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)

    assert ranges(hub, "tiny-Q8_0.gguf") == ["bytes=100000-"] * fast_settings.max_attempts
    assert part_path(target).read_bytes() == data[:100_000]
    assert not target.exists()


def test_server_errors_are_retried(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    faults = hub.faults(TINY, "tiny-Q4_K_M.gguf")
    faults.fail_status, faults.fail_times = 503, 2
    target = target_for(models_dir, "tiny-Q4_K_M.gguf")

    assert download_file(source(hub, "tiny-Q4_K_M.gguf"), target, settings=fast_settings) is (
        DownloadOutcome.COMPLETED
    )
    assert len(ranges(hub, "tiny-Q4_K_M.gguf")) == 3


class _SelfStoppingControl(DownloadControl):
    """Pauses (or cancels) itself after ``after`` progress reports with bytes in them."""

    def __init__(self, after: int, *, cancel: bool) -> None:
        super().__init__()
        self.after = after
        self.cancel_instead = cancel
        self.reports = 0

    def on_progress(self, progress: DownloadProgress) -> None:
        if progress.done == 0:
            return
        self.reports += 1
        if self.reports >= self.after:
            self.cancel() if self.cancel_instead else self.pause()


def test_pause_keeps_the_part_and_resume_continues_from_it(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    control = _SelfStoppingControl(2, cancel=False)
    target = target_for(models_dir, "tiny-Q8_0.gguf")

    first = download_file(
        source(hub, "tiny-Q8_0.gguf"),
        target,
        control=control,
        on_progress=control.on_progress,
        settings=fast_settings,
    )
    kept = part_path(target).stat().st_size

    assert first is DownloadOutcome.PAUSED
    assert not target.exists()
    assert 0 < kept < len(hub.repo(TINY).files["tiny-Q8_0.gguf"].data)

    second = download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)

    assert second is DownloadOutcome.COMPLETED
    assert ranges(hub, "tiny-Q8_0.gguf")[-1] == f"bytes={kept}-"
    assert target.read_bytes() == hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    assert not part_path(target).exists()


def test_cancel_deletes_the_part(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    control = _SelfStoppingControl(2, cancel=True)
    target = target_for(models_dir, "tiny-Q8_0.gguf")

    outcome = download_file(
        source(hub, "tiny-Q8_0.gguf"),
        target,
        control=control,
        on_progress=control.on_progress,
        settings=fast_settings,
    )

    assert outcome is DownloadOutcome.CANCELLED
    assert not part_path(target).exists()
    assert not target.exists()


def test_resume_rehashes_the_existing_part_and_asks_for_the_rest(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    data = hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    target = target_for(models_dir, "tiny-Q8_0.gguf")
    target.parent.mkdir(parents=True)
    part_path(target).write_bytes(data[:123_456])  # what an earlier run left

    outcome = download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)

    assert outcome is DownloadOutcome.COMPLETED
    assert ranges(hub, "tiny-Q8_0.gguf") == ["bytes=123456-"]
    assert target.read_bytes() == data


def test_a_damaged_part_from_an_earlier_run_is_caught_by_the_final_check(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    data = hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    target = target_for(models_dir, "tiny-Q8_0.gguf")
    target.parent.mkdir(parents=True)
    part_path(target).write_bytes(b"\0" * 1000 + data[1000:50_000])

    with pytest.raises(ChecksumMismatchError):
        download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)
    assert not part_path(target).exists() and not target.exists()


def test_a_server_that_ignores_range_makes_the_download_start_over(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    data = hub.repo(TINY).files["tiny-Q8_0.gguf"].data
    hub.faults(TINY, "tiny-Q8_0.gguf").ignore_range = True
    target = target_for(models_dir, "tiny-Q8_0.gguf")
    target.parent.mkdir(parents=True)
    part_path(target).write_bytes(data[:200_000])

    outcome = download_file(source(hub, "tiny-Q8_0.gguf"), target, settings=fast_settings)

    assert outcome is DownloadOutcome.COMPLETED
    assert ranges(hub, "tiny-Q8_0.gguf") == ["bytes=200000-"]  # asked; got the whole file
    assert target.read_bytes() == data  # not the first 200 000 bytes twice


def test_a_listing_smaller_than_the_file_stops_the_download(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    served = hub.repo(TINY).files["tiny-Q4_K_M.gguf"]
    lying = RemoteFile(served.path, 1000, served.sha256)
    target = target_for(models_dir, served.path)

    with pytest.raises(DownloadError, match="more than the listed 1000 bytes"):
        download_file(FileSource(hub.endpoint, TINY, "main", lying), target)
    assert not part_path(target).exists() and not target.exists()


def test_a_file_already_in_the_library_is_left_alone(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    target = target_for(models_dir, "tiny-Q4_K_M.gguf")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the user's own file")

    outcome = download_file(source(hub, "tiny-Q4_K_M.gguf"), target, settings=fast_settings)

    assert outcome is DownloadOutcome.ALREADY_PRESENT
    assert target.read_bytes() == b"the user's own file"
    assert hub.requests == []


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("hf_wrong_token", 403)])
def test_a_gated_repo_without_access_names_the_licence_page(
    hub: HubServer,
    models_dir: Path,
    fast_settings: DownloadSettings,
    token: str | None,
    status: int,
) -> None:
    target = target_for(models_dir, "gated-Q4_0.gguf", GATED)

    with pytest.raises(HubAccessError) as caught:
        download_file(
            source(hub, "gated-Q4_0.gguf", GATED), target, token=token, settings=fast_settings
        )

    assert caught.value.status == status
    assert f"{hub.endpoint}/{GATED}" in str(caught.value)
    assert not target.exists() and not part_path(target).exists()


def test_a_gated_repo_downloads_with_the_right_token_which_never_reaches_the_cdn(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    target = target_for(models_dir, "gated-Q4_0.gguf", GATED)

    outcome = download_file(
        source(hub, "gated-Q4_0.gguf", GATED), target, token=GATED_TOKEN, settings=fast_settings
    )

    assert outcome is DownloadOutcome.COMPLETED
    hub_side = [r for r in hub.requests if r.server == "hub"]
    cdn_side = [r for r in hub.requests if r.server == "cdn"]
    assert [r.authorization for r in hub_side] == [f"Bearer {GATED_TOKEN}"]
    assert cdn_side and all(r.authorization is None for r in cdn_side)


def test_a_complete_part_left_before_the_rename_is_verified_without_a_request(
    hub: HubServer, models_dir: Path, fast_settings: DownloadSettings
) -> None:
    data = hub.repo(TINY).files["tiny-Q4_K_M.gguf"].data
    target = target_for(models_dir, "tiny-Q4_K_M.gguf")
    target.parent.mkdir(parents=True)
    part_path(target).write_bytes(data)  # killed after the last byte, before the rename

    outcome = download_file(source(hub, "tiny-Q4_K_M.gguf"), target, settings=fast_settings)

    assert outcome is DownloadOutcome.COMPLETED
    assert target.read_bytes() == data
    assert hub.requests == []
