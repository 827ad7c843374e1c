"""The shipped catalog: found from the source tree, well formed, and usable for fit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.engine.families import FAMILIES
from app.hardware.machine import GpuDevice, MachineInfo
from app.hub.files import RemoteFile, group_gguf_files
from app.library.catalog import CatalogError, catalog_path, load_catalog
from app.library.fit import FitVerdict
from app.library.remote_fit import assess

SHA256 = re.compile(r"^[0-9a-f]{64}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")

# What people run in 2026, by catalog id, with the chat format each was trained on and
# whether it thinks before it answers.
WANTED = {
    "qwen3-8b": ("chatml", True),
    "deepseek-r1-distill-qwen-7b": ("deepseek", True),
    "gpt-oss-20b": ("harmony", True),
    "qwen3-14b": ("chatml", True),
    "gemma-3-12b-it": ("gemma", False),
    "llama-3.1-8b-instruct": ("llama3", False),
    "mistral-7b-instruct-v0.3": ("mistral", False),
    "phi-4": ("phi4", False),
    "llama-3.3-70b-instruct": ("llama3", False),
    "deepseek-r1-distill-llama-70b": ("deepseek", True),
    "qwen2.5-72b-instruct": ("chatml", False),
}


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
    assert len(catalog.models) >= 10
    assert len(small) >= 4 and len(large) >= 3
    assert len({m.id for m in catalog.models}) == len(catalog.models)
    for model in catalog.models:
        assert re.match(r"^[\w.-]+/[\w.-]+$", model.repo_id)
        assert model.context_length > 0 and model.licence
        assert model.family in FAMILIES or model.is_embedding, model.id
        assert isinstance(model.thinks, bool)
        arch = model.architecture
        assert arch.layers and arch.embedding and arch.heads and arch.kv_heads and arch.vocab
        assert arch.feed_forward, model.id
        assert model.files
        for entry in model.files:
            assert entry.quant and entry.size > 0
            for part in entry.parts:
                assert part.sha256 and SHA256.match(part.sha256), part.path
                assert part.size_exact, part.path
                assert part.seen_at and COMMIT.match(part.seen_at), part.path
                assert part.path.endswith(".gguf")


def test_catalog_has_the_models_people_want_with_their_family_and_thinking():
    catalog = load_catalog()
    for model_id, (family, thinks) in WANTED.items():
        model = catalog.get(model_id)
        assert model is not None, model_id
        assert (model.family, model.thinks) == (family, thinks), model_id
        assert model.file("Q4_K_M") or model.file("MXFP4"), model_id
    assert sum(m.thinks for m in catalog.models) >= 4
    assert {m.family for m in catalog.models if m.thinks} >= {"chatml", "deepseek", "harmony"}


def test_a_mixture_of_experts_model_is_estimated_with_all_its_experts():
    gpt_oss = load_catalog().get("gpt-oss-20b")
    mxfp4 = gpt_oss.file("MXFP4")
    shape = gpt_oss.shape(mxfp4.size, mxfp4.name)
    # Every expert is loaded: the per-layer weights the estimate assigns add up to a file
    # of some 20.9B parameters at MXFP4's ~4.6 bits, not to a 3.6B-active dense model.
    assert 4.0 < shape.bits_per_weight < 5.0
    assert sum(shape.layer_bytes) > 0.9 * mxfp4.size
    on_24_gb = assess(gpt_oss.groups(), machine(ram_gb=64, vram_gb=24), catalog_model=gpt_oss)
    assert [c.estimate.verdict for c in on_24_gb] == [FitVerdict.FITS_GPU]
    on_8_gb = assess(gpt_oss.groups(), machine(ram_gb=8), catalog_model=gpt_oss)
    assert [c.estimate.verdict for c in on_8_gb] == [FitVerdict.DOES_NOT_FIT]


def test_catalog_files_group_like_a_hub_listing():
    for model in load_catalog().models:
        listed = [RemoteFile(p.path, p.size, p.sha256) for f in model.files for p in f.parts]
        names = {group.name for group in group_gguf_files(model.repo_id, listed)}
        assert names == {entry.name for entry in model.files}
        assert {g.name for g in model.groups()} == names


def test_a_split_file_in_a_catalog_is_one_download_of_all_its_parts(tmp_path: Path):
    # Test data, not a real repository: two parts of one quantization in its folder.
    raw = json.loads(catalog_path({}).read_text(encoding="utf-8"))
    model = next(m for m in raw["models"] if m["id"] == "llama-3.3-70b-instruct")
    folder = "Llama-3.3-70B-Instruct-Q5_K_M"
    model["files"] = [
        {
            "quant": "Q5_K_M",
            "parts": [
                {
                    "path": f"{folder}/{folder}-0000{i}-of-00002.gguf",
                    "size": size,
                    "size_exact": True,
                    "sha256": str(i) * 64,
                    "seen_at": "0" * 40,
                }
                for i, size in ((1, 40_000_000_000), (2, 9_000_000_000))
            ],
        }
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"version": 1, "models": [model]}))
    model = load_catalog(path).get("llama-3.3-70b-instruct")
    split = model.file("Q5_K_M")
    assert len(split.parts) == 2 and split.name.endswith("/Llama-3.3-70B-Instruct-Q5_K_M.gguf")
    assert split.size == 49_000_000_000
    (group,) = model.groups()
    assert group.is_split and group.is_complete
    assert group.first_part.path.endswith("-00001-of-00002.gguf")


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
    shipped = json.loads(catalog_path({}).read_text(encoding="utf-8"))["models"][0]
    for key, value, reason in (
        ("family", None, "malformed.*'family'"),
        ("family", "", "family must be"),
        ("thinks", "yes", "thinks must be true or false"),
    ):
        model = dict(shipped)
        if value is None:
            del model[key]
        else:
            model[key] = value
        bad.write_text(json.dumps({"version": 1, "models": [model]}))
        with pytest.raises(CatalogError, match=reason):
            load_catalog(bad)
