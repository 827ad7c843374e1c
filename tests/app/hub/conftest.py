"""Fixtures for the hub tests: one real test Hub per session, filled with small real GGUFs.

The Hub's address is handed to the code under test explicitly (``HubClient(endpoint=)``,
``FileSource(endpoint=...)``), the way Hearth passes ``HF_ENDPOINT`` read at run time;
nothing depends on the environment huggingface_hub saw when it was imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hub.client import HubClient
from app.hub.download import DownloadSettings
from tests.support.hub_server import HubServer, write_gguf

TINY = "hearth-test/Tiny-GGUF"
GATED = "hearth-test/Gated-GGUF"
GATED_TOKEN = "hf_right_token"
SPLIT_PARTS = [f"big/tiny-big-Q2_K-0000{i}-of-00003.gguf" for i in (1, 2, 3)]


@pytest.fixture(scope="session")
def gguf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the test Hub serves, written once per session."""
    root = tmp_path_factory.mktemp("hub-files")
    write_gguf(root / "tiny-Q4_K_M.gguf", payload_bytes=300_000, seed=1)
    write_gguf(root / "tiny-Q8_0.gguf", payload_bytes=600_000, seed=2)
    write_gguf(root / "tiny-F16.gguf", payload_bytes=2_000_000, seed=3)
    write_gguf(root / "mmproj-tiny-f16.gguf", payload_bytes=100_000, seed=4)
    write_gguf(root / "small-IQ2_XS.gguf", payload_bytes=20_000, seed=5)
    for index, name in enumerate(SPLIT_PARTS, start=1):
        write_gguf(
            root / Path(name).name,
            payload_bytes=150_000,
            seed=10 + index,
            extra_uint16={"split.no": index - 1, "split.count": 3},
        )
    write_gguf(root / "gated-Q4_0.gguf", payload_bytes=200_000, seed=6)
    write_gguf(root / "other-Q5_K_S.gguf", payload_bytes=50_000, seed=7)
    return root


@pytest.fixture(scope="session")
def hub_server(gguf_dir: Path) -> Iterator[HubServer]:
    with HubServer() as server:
        tiny_files: dict[str, Path | bytes] = {
            "tiny-Q4_K_M.gguf": gguf_dir / "tiny-Q4_K_M.gguf",
            "tiny-Q8_0.gguf": gguf_dir / "tiny-Q8_0.gguf",
            "tiny-F16.gguf": gguf_dir / "tiny-F16.gguf",
            "mmproj-tiny-f16.gguf": gguf_dir / "mmproj-tiny-f16.gguf",
            "small-IQ2_XS.gguf": gguf_dir / "small-IQ2_XS.gguf",
            "README.md": b"# Tiny GGUF\n\nTest models.\n",
            **{name: gguf_dir / Path(name).name for name in SPLIT_PARTS},
        }
        server.add_repo(
            TINY,
            tiny_files,
            downloads=500,
            likes=10,
            last_modified="2024-03-01T00:00:00.000Z",
            plain_git=["README.md", "small-IQ2_XS.gguf"],
        )
        other = {"other-Q5_K_S.gguf": gguf_dir / "other-Q5_K_S.gguf"}
        server.add_repo(
            "hearth-test/Popular-GGUF",
            other,
            downloads=9000,
            likes=5,
            last_modified="2023-05-01T00:00:00.000Z",
        )
        server.add_repo(
            "hearth-test/Liked-GGUF",
            other,
            downloads=100,
            likes=900,
            last_modified="2022-01-01T00:00:00.000Z",
        )
        server.add_repo(
            "hearth-test/Fresh-GGUF",
            other,
            downloads=10,
            likes=1,
            last_modified="2025-06-01T00:00:00.000Z",
        )
        server.add_repo(
            "hearth-test/Tiny-safetensors",
            {"model.safetensors": b"\0" * 64},
            downloads=100_000,
            likes=100_000,
            tags=("safetensors",),
        )
        server.add_repo(
            GATED,
            {"gated-Q4_0.gguf": gguf_dir / "gated-Q4_0.gguf"},
            gated=True,
            token=GATED_TOKEN,
            downloads=50,
            likes=50,
        )
        yield server


@pytest.fixture
def hub(hub_server: HubServer) -> Iterator[HubServer]:
    """The session's Hub with no faults and an empty request log."""
    hub_server.reset()
    yield hub_server
    hub_server.reset()


@pytest.fixture
def client(hub: HubServer) -> HubClient:
    return HubClient(endpoint=hub.endpoint, token_provider=lambda: None)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def fast_settings() -> DownloadSettings:
    """Short waits between reconnects, no free-space margin (test files are tiny)."""
    return DownloadSettings(
        read_timeout_s=10.0,
        connect_timeout_s=5.0,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        space_margin_bytes=0,
        progress_interval_s=0.0,
    )
