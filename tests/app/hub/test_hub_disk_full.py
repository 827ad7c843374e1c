"""A small real disk (a 1 MiB tmpfs): the download refuses up front when it cannot fit,
and a disk that fills up while writing gives a clear error and deletes nothing of the
user's. Mounting needs root (or CAP_SYS_ADMIN), which the test machines have.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.hub.client import HubClient
from app.hub.control import DownloadOutcome
from app.hub.download import DownloadSettings, FileSource, download_file, download_group
from app.hub.errors import NotEnoughSpaceError
from app.hub.files import RemoteFile
from app.hub.layout import local_path, part_path
from app.hub.progress import DownloadProgress
from tests.app.hub.conftest import TINY
from tests.support.hub_server import HubServer

MIB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mounts tmpfs file systems of a given size; unmounts them after the test."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.fail(f"these tests need to mount a tmpfs (root): {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


def remote(hub: HubServer, path: str) -> RemoteFile:
    served = hub.repo(TINY).files[path]
    return RemoteFile(path, len(served.data), served.sha256)


def test_a_file_larger_than_the_free_space_is_refused_before_downloading(
    hub: HubServer, small_disk: Callable[[int], Path], fast_settings: DownloadSettings
) -> None:
    disk = small_disk(1 * MIB)
    models = disk / "models"
    (disk / "notes.txt").write_text("the user's notes")
    big = remote(hub, "tiny-F16.gguf")  # about 2 MB
    target = local_path(models, TINY, big.path)

    with pytest.raises(NotEnoughSpaceError, match="Not enough free space") as caught:
        download_file(FileSource(hub.endpoint, TINY, "main", big), target, settings=fast_settings)

    assert caught.value.needed == big.size
    assert caught.value.free == shutil.disk_usage(disk).free
    assert f"needs {big.size / 1e6:.1f} MB" in str(caught.value)
    assert hub.requests == []  # refused before asking for a byte
    assert not models.exists()  # not even an empty folder left behind
    assert (disk / "notes.txt").read_text() == "the user's notes"


def test_the_margin_is_part_of_the_free_space_check(
    hub: HubServer, small_disk: Callable[[int], Path], fast_settings: DownloadSettings
) -> None:
    disk = small_disk(1 * MIB)
    small = remote(hub, "tiny-Q4_K_M.gguf")  # about 300 KB: fits, but not with 1 MiB spare
    settings = DownloadSettings(**{**fast_settings.__dict__, "space_margin_bytes": MIB})

    with pytest.raises(NotEnoughSpaceError) as caught:
        download_file(
            FileSource(hub.endpoint, TINY, "main", small),
            local_path(disk, TINY, small.path),
            settings=settings,
        )
    assert caught.value.needed == small.size + MIB


def test_a_split_model_is_checked_as_a_whole(
    hub: HubServer, small_disk: Callable[[int], Path], fast_settings: DownloadSettings
) -> None:
    disk = small_disk(1 * MIB)
    (disk / "user-file.bin").write_bytes(b"\1" * 700 * 1024)  # leaves ~320 KB free
    listing = HubClient(endpoint=hub.endpoint, token_provider=lambda: None).list_files(TINY)
    (split,) = [g for g in listing.groups if g.is_split]  # three parts of ~150 KB
    assert all(part.size < shutil.disk_usage(disk).free for part in split.parts)

    with pytest.raises(NotEnoughSpaceError):
        download_group(hub.endpoint, listing.revision, split, disk / "models")

    assert [r.path for r in hub.requests if not r.path.startswith("/api/")] == []
    assert (disk / "user-file.bin").stat().st_size == 700 * 1024


def test_a_disk_filling_up_while_writing_gives_a_clear_error_and_keeps_user_files(
    hub: HubServer, small_disk: Callable[[int], Path], fast_settings: DownloadSettings
) -> None:
    disk = small_disk(1 * MIB)
    (disk / "notes.txt").write_text("the user's notes")
    file = remote(hub, "tiny-Q8_0.gguf")  # about 600 KB: fits when the download starts
    target = local_path(disk / "models", TINY, file.path)
    filler = disk / "another-program.bin"

    def another_program_fills_the_disk(progress: DownloadProgress) -> None:
        if progress.done and not filler.exists():
            filler.write_bytes(b"\2" * (shutil.disk_usage(disk).free - 64 * 1024))

    with pytest.raises(NotEnoughSpaceError, match="disk filled up while downloading") as caught:
        download_file(
            FileSource(hub.endpoint, TINY, "main", file),
            target,
            on_progress=another_program_fills_the_disk,
            settings=fast_settings,
        )

    assert caught.value.during_write
    assert "needs" in str(caught.value) and "partial download is kept" in str(caught.value)
    assert not target.exists()
    kept = part_path(target).read_bytes()
    assert 0 < len(kept) < file.size
    assert kept == hub.repo(TINY).files[file.path].data[: len(kept)]  # a good prefix
    assert (disk / "notes.txt").read_text() == "the user's notes"
    assert filler.exists()

    filler.unlink()  # the user frees some space, then resumes
    outcome = download_file(
        FileSource(hub.endpoint, TINY, "main", file), target, settings=fast_settings
    )
    assert outcome is DownloadOutcome.COMPLETED
    assert target.read_bytes() == hub.repo(TINY).files[file.path].data
