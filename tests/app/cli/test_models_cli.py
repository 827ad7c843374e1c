"""``hearth models search|files|pull|import|rm|list`` end to end, against a test Hub on
127.0.0.1 (``HF_ENDPOINT``) and a private HEARTH_HOME."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.main import main
from app.hub.layout import local_path, part_path
from app.library.gguf_header import read_gguf_header
from app.library.local_models import resolve_model
from tests.support.hub_server import HubServer, write_gguf
from tests.support.library_hub import GATED, SPLIT, TINY, fill_hub, write_files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_files(tmp_path_factory.mktemp("hub-files"))


@pytest.fixture(scope="module")
def hub_server(files: dict[str, Path]) -> Iterator[HubServer]:
    with HubServer() as server:
        fill_hub(server, files)
        yield server


@pytest.fixture
def hub(hub_server: HubServer, hearth_home: Path, monkeypatch: pytest.MonkeyPatch) -> HubServer:
    hub_server.reset()
    monkeypatch.setenv("HF_ENDPOINT", hub_server.endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(hearth_home / "hf-token"))
    return hub_server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_sorts_by_downloads_likes_and_recency(hub: HubServer, capsys):
    code, out, _ = run(capsys, "models", "search", "7B")
    rows = [line.split()[0] for line in out.splitlines()[2:]]
    assert code == 0 and rows[0] == TINY
    _, out, _ = run(capsys, "models", "search", "7B", "--sort", "likes")
    assert out.splitlines()[2].startswith("hearth-test/Liked-7B-GGUF")
    _, out, _ = run(capsys, "models", "search", "7B", "--sort", "recent")
    assert out.splitlines()[2].startswith("hearth-test/Fresh-7B-GGUF")


def test_files_lists_every_gguf_with_size_quant_fit_and_one_recommended(hub: HubServer, capsys):
    code, out, _ = run(capsys, "models", "files", TINY)
    assert code == 0
    lines = out.splitlines()
    assert "big/Tiny-7B-Q2_K.gguf (2 parts)" in out  # a split model is one entry
    assert "README" not in out
    projector = next(line for line in lines if "mmproj" in line)
    assert "vision projector" in projector
    for quant in ("Q4_K_M", "Q8_0", "F16"):
        row = next(line for line in lines if f"Tiny-7B-{quant}.gguf" in line)
        assert "CPU only, slow" in row or "fits on GPU" in row or "partly on GPU" in row
    assert sum(1 for line in lines if line.startswith("*") and ".gguf" in line) == 1


def test_pull_downloads_verifies_lists_and_resolves(hub: HubServer, hearth_home, files, capsys):
    code, out, err = run(capsys, "models", "pull", TINY, "Q4_K_M")
    target = local_path(hearth_home / "models", TINY, "Tiny-7B-Q4_K_M.gguf")
    assert code == 0, err
    assert f"Verified: {target}" in out
    expected = hashlib.sha256(files["Tiny-7B-Q4_K_M.gguf"].read_bytes()).hexdigest()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected
    assert not part_path(target).exists()

    _, listing, _ = run(capsys, "models", "list")
    assert "Tiny-7B-Q4_K_M" in listing and TINY in listing
    model = resolve_model("Tiny-7B-Q4_K_M", hearth_home / "models")
    assert model.path == target and model.repo_id == TINY
    assert read_gguf_header(model.path).block_count == 1


def test_pull_without_a_file_takes_the_recommended_one_and_joins_split_parts(
    hub: HubServer, hearth_home: Path, capsys
):
    _, files_out, _ = run(capsys, "models", "files", TINY)
    starred = [line for line in files_out.splitlines() if line.startswith("*") and ".gguf" in line]
    recommended = starred[0].split()[1]
    code, out, err = run(capsys, "models", "pull", TINY)
    assert code == 0, err
    first = local_path(hearth_home / "models", TINY, recommended)
    if "Q2_K" in recommended:  # the split model: every part is fetched
        for name in SPLIT:
            assert local_path(hearth_home / "models", TINY, name).is_file()
        first = local_path(hearth_home / "models", TINY, SPLIT[0])
    assert f"Verified: {first}" in out


def test_pull_resumes_a_partial_download(hub: HubServer, hearth_home: Path, files, capsys):
    name = "Tiny-7B-Q8_0.gguf"
    target = local_path(hearth_home / "models", TINY, name)
    target.parent.mkdir(parents=True)
    data = files[name].read_bytes()
    part_path(target).write_bytes(data[:200_000])  # an earlier run stopped here
    code, _, err = run(capsys, "models", "pull", TINY, "Q8_0")
    assert code == 0, err
    assert target.read_bytes() == data
    ranges = [r.range for r in hub.file_gets(TINY, name)]
    assert ranges == ["bytes=200000-"]


def test_damaged_download_is_reported_and_not_listed(hub: HubServer, hearth_home: Path, capsys):
    hub.faults(TINY, "Tiny-7B-F16.gguf").corrupt = True
    code, _, err = run(capsys, "models", "pull", TINY, "F16")
    assert code == 1 and "arrived damaged" in err
    _, listing, _ = run(capsys, "models", "list")
    assert "Tiny-7B-F16" not in listing


def test_gated_repo_names_the_licence_page_until_a_token_is_kept(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch, capsys
):
    code, _, err = run(capsys, "models", "pull", GATED)
    assert code == 1
    assert f"{hub.endpoint}/{GATED}" in err and "licence" in err and "hearth models token" in err

    monkeypatch.setattr("getpass.getpass", lambda prompt="": "hf_gated_token")
    code, out, _ = run(capsys, "models", "token")
    assert code == 0 and "Token kept in" in out
    code, out, err = run(capsys, "models", "pull", GATED)
    assert code == 0, err and "Verified" in out


def test_offline_search_says_offline(hearth_home: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    code, _, err = run(capsys, "models", "search", "llama")
    assert code == 1 and "offline" in err


def test_import_lists_in_place_and_rm_only_unregisters(hearth_home: Path, tmp_path: Path, capsys):
    mine = write_gguf(tmp_path / "elsewhere" / "My-Model-Q4_0.gguf", payload_bytes=50_000)
    code, out, _ = run(capsys, "models", "import", str(mine))
    assert code == 0 and "nothing was copied" in out
    _, listing, _ = run(capsys, "models", "list")
    assert "My-Model-Q4_0" in listing and "imported" in listing and str(mine) in listing

    code, _, err = run(capsys, "models", "rm", "My-Model-Q4_0")  # no --yes, no terminal
    assert code == 1 and "--yes" in err
    code, out, _ = run(capsys, "models", "rm", "My-Model-Q4_0", "--yes")
    assert code == 0 and "left in place" in out
    assert mine.is_file()
    _, listing, _ = run(capsys, "models", "list")
    assert "My-Model-Q4_0" not in listing


def test_import_refuses_a_truncated_file(hearth_home: Path, tmp_path: Path, capsys):
    whole = write_gguf(tmp_path / "Cut-Q4_0.gguf", payload_bytes=50_000)
    whole.write_bytes(whole.read_bytes()[:20_000])
    code, _, err = run(capsys, "models", "import", str(whole))
    assert code == 1 and "truncated" in err


def test_rm_of_a_download_deletes_its_files(hub: HubServer, hearth_home: Path, capsys):
    assert run(capsys, "models", "pull", TINY, "Q4_K_M")[0] == 0
    target = local_path(hearth_home / "models", TINY, "Tiny-7B-Q4_K_M.gguf")
    code, out, _ = run(capsys, "models", "rm", "Tiny-7B-Q4_K_M", "--yes")
    assert code == 0 and f"Deleted {target}" in out
    assert not target.exists() and not target.parent.exists()
