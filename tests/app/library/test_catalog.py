"""The shipped catalog: found from the source tree, well formed, and usable for fit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.hardware.machine import GpuDevice, MachineInfo
from app.hub.files import RemoteFile, group_gguf_files
from app.library.catalog import CatalogError, catalog_path, load_catalog
from app.library.fit import FitVerdict
from app.library.remote_fit import assess

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def machine(ram_gb: float, vram_gb: float = 0) -> MachineInfo:
    gpus = (
        (GpuDevice("Test GPU", "cuda", int(vram_gb * 1e9), int(vram_gb * 1e9)),) if vram_gb else ()
    )
    return MachineInfo(
        os="linux",
        os_version="test",
        arch="x86_64",
        cpu_name="test",
        cpu_cores=8,
        cpu_threads=16,
        total_ram=int(ram_gb * 1e9),
        available_ram=int(ram_gb * 1e9),
        gpus=gpus,
    )


def test_the_shipped_catalog_is_found_beside_the_app_package():
    path = catalog_path({})
    assert path == Path(__file__).resolve().parents[3] / "resources" / "catalog.json"
    assert path.is_file()


def test_catalog_has_small_and_large_instruct_models_with_complete_records():
    catalog = load_catalog()
    small = [m for m in catalog.models if 7 <= m.params_billion <= 9.5]
    large = [m for m in catalog.models if m.params_billion >= 70]
    assert len(small) >= 4 and len(large) >= 2
    for model in catalog.models:
        assert re.match(r"^[\w.-]+/[\w.-]+$", model.repo_id)
        assert model.context_length > 0 and model.licence
        arch = model.architecture
        assert arch.layers and arch.embedding and arch.heads and arch.kv_heads and arch.vocab
        assert model.files
        for entry in model.files:
            assert entry.quant and entry.size > 0
            for part in entry.parts:
                assert part.sha256 and SHA256.match(part.sha256), part.path
                assert part.seen_at, part.path
                assert part.path.endswith(".gguf")


def test_catalog_files_group_like_a_hub_listing_split_parts_included():
    catalog = load_catalog()
    for model in catalog.models:
        listed = [RemoteFile(p.path, p.size, p.sha256) for f in model.files for p in f.parts]
        names = {group.name for group in group_gguf_files(model.repo_id, listed)}
        assert names == {entry.name for entry in model.files}
        assert {g.name for g in model.groups()} == names
    split = catalog.get("llama-3.3-70b-instruct").file("Q5_K_M")
    assert len(split.parts) == 2 and split.name.endswith("Q5_K_M.gguf")


def test_catalog_verdicts_follow_the_machine():
    catalog = load_catalog()
    small, large = catalog.get("qwen2.5-7b-instruct"), catalog.get("qwen2.5-72b-instruct")
    gpu_box = machine(ram_gb=64, vram_gb=24)
    small_fits = assess(small.groups(), gpu_box, catalog_model=small)
    assert all(c.estimate.verdict is FitVerdict.FITS_GPU for c in small_fits)
    assert sum(c.recommended for c in small_fits) == 1
    large_fits = assess(large.groups(), gpu_box, catalog_model=large)
    assert {c.estimate.verdict for c in large_fits} == {FitVerdict.PARTIAL_GPU}

    laptop = machine(ram_gb=7)
    assert all(
        c.estimate.verdict is FitVerdict.DOES_NOT_FIT
        for c in assess(large.groups(), laptop, catalog_model=large)
    )
    on_laptop = assess(small.groups(), laptop, catalog_model=small)
    recommended = next(c for c in on_laptop if c.recommended)
    assert recommended.group.quant == "Q4_K_M"  # the bigger quants do not fit 7 GB
    assert "from Hearth's catalog" in recommended.explain()


def test_a_broken_catalog_says_why(tmp_path: Path):
    with pytest.raises(CatalogError, match="missing"):
        load_catalog(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "models": [{"id": "x"}]}))
    with pytest.raises(CatalogError, match="malformed"):
        load_catalog(bad)
