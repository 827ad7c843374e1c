"""The test Hub speaks the Hub API well enough for huggingface_hub's own client.

If these fail, the fake server has drifted from what huggingface_hub expects, and the
other hub tests would be testing against a Hub that does not exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import GatedRepoError

from tests.app.hub.conftest import GATED, TINY
from tests.support.hub_server import HubServer


def test_file_metadata_as_huggingface_hub_reads_it(hub: HubServer) -> None:
    served = hub.repo(TINY).files["tiny-Q4_K_M.gguf"]
    url = hf_hub_url(TINY, served.path, endpoint=hub.endpoint)

    meta = get_hf_file_metadata(url, token=False, endpoint=hub.endpoint)

    assert meta.commit_hash == hub.repo(TINY).sha
    assert meta.etag == served.sha256
    assert meta.size == len(served.data)
    assert meta.location.startswith(hub.cdn_endpoint)


def test_huggingface_hub_downloads_from_it(hub: HubServer, tmp_path: Path) -> None:
    served = hub.repo(TINY).files["tiny-Q4_K_M.gguf"]

    path = hf_hub_download(
        TINY, served.path, endpoint=hub.endpoint, cache_dir=tmp_path / "hf-cache", token=False
    )

    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == served.sha256


def test_listing_and_gating_as_huggingface_hub_reads_them(hub: HubServer, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.endpoint, token=False)
    info = api.model_info(TINY, files_metadata=True)
    by_name = {s.rfilename: s for s in info.siblings or ()}
    assert by_name["tiny-Q8_0.gguf"].lfs is not None
    assert by_name["README.md"].lfs is None

    with pytest.raises(GatedRepoError):
        hf_hub_download(
            GATED,
            "gated-Q4_0.gguf",
            endpoint=hub.endpoint,
            cache_dir=tmp_path / "hf-cache",
            token=False,
        )
