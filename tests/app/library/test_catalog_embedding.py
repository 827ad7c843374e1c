"""Embedding models in the catalog and the models folder: downloadable, never chatted with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.hardware.machine import MachineInfo
from app.library.catalog import CatalogError, load_catalog
from app.library.local_models import chat_models, list_local_models
from app.library.recommend import suggest_downloads
from app.library.remote_fit import assess
from tests.support.embedding_gguf import write_embedding_gguf
from tests.support.hub_server import write_gguf

NOMIC = "nomic-embed-text-v1.5"
BGE = "bge-small-en-v1.5"


def laptop(ram_gb: float) -> MachineInfo:
    return MachineInfo(
        os="linux",
        os_version="test",
        arch="x86_64",
        cpu_name="test",
        cpu_cores=4,
        cpu_threads=8,
        total_ram=int(ram_gb * 1e9),
        available_ram=int(ram_gb * 1e9),
        gpus=(),
    )


def test_the_catalog_has_nomic_embed_as_an_embedding_model_with_its_pinned_file():
    catalog = load_catalog()
    nomic = catalog.get(NOMIC)
    assert nomic is not None and nomic.kind == "embedding" and nomic.is_embedding
    assert nomic.repo_id == "nomic-ai/nomic-embed-text-v1.5-GGUF"
    (q8,) = nomic.files
    (part,) = q8.parts
    assert (part.path, part.size, part.size_exact) == (
        "nomic-embed-text-v1.5.Q8_0.gguf",
        146146432,
        True,
    )
    assert part.sha256 == "3e24342164b3d94991ba9692fdc0dd08e3fd7362e0aacc396a9a5c54a544c3b7"
    assert nomic.family == "" and nomic.thinks is False  # no chat format
    bge = catalog.get(BGE)
    assert bge is not None and bge.is_embedding
    assert bge.repo_id == "CompendiumLabs/bge-small-en-v1.5-gguf"
    assert [(p.path, p.size) for f in bge.files for p in f.parts] == [
        ("bge-small-en-v1.5-f16.gguf", 67308128)
    ]
    # Every other entry is a chat model, the kind an entry has when it names none.
    assert all(m.kind == "chat" for m in catalog.models if m.id not in (NOMIC, BGE))


def test_an_embedding_model_fits_but_is_never_suggested_for_chat():
    catalog = load_catalog()
    nomic = catalog.get(NOMIC)
    small = laptop(ram_gb=4)
    (choice,) = assess(nomic.groups(), small, catalog_model=nomic)
    assert choice.estimate is not None and choice.estimate.verdict.runs  # downloadable here
    for ram_gb in (4, 16, 64):
        suggested = suggest_downloads(catalog, laptop(ram_gb), limit=50)
        assert not {NOMIC, BGE} & {s.model_id for s in suggested}
    assert suggest_downloads(catalog, laptop(16))  # chat models still are


def _catalog_file(tmp_path: Path, **entry: object) -> Path:
    model = {
        "id": "e",
        "name": "E",
        "repo_id": "o/e",
        "params_billion": 0.1,
        "context_length": 512,
        "licence": "mit",
        "gated": False,
        "architecture": {"layers": 1, "embedding": 8, "heads": 1, "kv_heads": 1, "vocab": 9},
        "files": [],
    }
    model.update(entry)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"version": 1, "models": [model]}), encoding="utf-8")
    return path


def test_kind_defaults_to_chat_and_a_wrong_kind_is_a_clear_error(tmp_path: Path):
    chat = load_catalog(_catalog_file(tmp_path, family="chatml", thinks=False))
    assert chat.models[0].kind == "chat" and not chat.models[0].is_embedding
    embedder = load_catalog(_catalog_file(tmp_path, kind="embedding"))
    assert embedder.models[0].is_embedding
    with pytest.raises(CatalogError, match="kind must be one of chat, embedding"):
        load_catalog(_catalog_file(tmp_path, kind="reranker"))
    with pytest.raises(CatalogError, match="malformed"):  # a chat model needs its format
        load_catalog(_catalog_file(tmp_path))


def test_an_embedding_gguf_in_the_models_folder_is_listed_but_not_for_chat(tmp_path: Path):
    models = tmp_path / "models"
    embed = write_embedding_gguf(
        models / "nomic-ai" / "nomic-embed-text-v1.5-GGUF" / "nomic-embed-text-v1.5.Q8_0.gguf"
    )
    chat = write_gguf(models / "someone" / "Tiny-GGUF" / "Tiny-Q4_0.gguf")
    listed = {m.path: m for m in list_local_models(models)}
    assert listed[embed].is_embedding and not listed[chat].is_embedding
    assert listed[embed].repo_id == "nomic-ai/nomic-embed-text-v1.5-GGUF"
    chattable = [m.path for m in chat_models(listed.values())]
    assert chat in chattable and embed not in chattable
    # Imported where it lies, the same.
    outside = write_embedding_gguf(tmp_path / "elsewhere" / "bge-small.gguf", arch="bert")
    imported = [m for m in list_local_models(models, [outside]) if m.path == outside]
    assert imported and imported[0].is_embedding and imported[0].is_imported
