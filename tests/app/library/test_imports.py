"""Importing GGUF files in place, listing them, removing them, and the models folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.hearth import Hearth
from app.library.gguf_header import read_gguf_header
from app.library.imports import ImportRefusedError, ImportRegistry, missing_bytes
from app.library.local_models import list_local_models
from app.library.models_folder import choose_models_folder, with_chosen_models_folder
from app.library.removal import RemovalError, remove_model
from app.library.shape_guess import guess_shape, params_from_name
from app.paths import hearth_paths
from tests.support.hub_server import write_gguf


def test_import_records_the_path_and_lists_it_where_it_lies(tmp_path: Path):
    registry = ImportRegistry(tmp_path / "config" / "imported_models.json")
    mine = write_gguf(tmp_path / "mine" / "Mine-Q4_0.gguf", payload_bytes=40_000)
    assert registry.add(mine) == mine.resolve()
    assert registry.add(mine) == mine.resolve()  # twice is once
    assert registry.paths() == [mine.resolve()]
    models = list_local_models(tmp_path / "models", registry.paths())
    imported = [m for m in models if m.is_imported]
    assert [(m.name, m.path) for m in imported] == [("Mine-Q4_0", mine.resolve())]


def test_import_refuses_what_cannot_run(tmp_path: Path):
    registry = ImportRegistry(tmp_path / "imports.json")
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(ImportRefusedError, match="not a GGUF"):
        registry.add(text)
    with pytest.raises(ImportRefusedError, match=r"must end in \.gguf"):
        registry.add(write_gguf(tmp_path / "model.bin"))
    part = write_gguf(
        tmp_path / "Split-00002-of-00002.gguf", extra_uint16={"split.no": 1, "split.count": 2}
    )
    with pytest.raises(ImportRefusedError, match="part of a split model"):
        registry.add(part)
    assert registry.paths() == []


def test_missing_bytes_is_zero_for_the_real_starter_model(starter_model: Path):
    assert missing_bytes(read_gguf_header(starter_model)) <= 0


def test_removing_an_import_unregisters_unless_the_file_is_asked_for(tmp_path: Path):
    registry = ImportRegistry(tmp_path / "imports.json")
    models_dir = tmp_path / "models"
    for delete in (False, True):
        mine = write_gguf(tmp_path / f"Mine-{delete}.gguf")
        registry.add(mine)
        model = next(m for m in list_local_models(models_dir, registry.paths()) if m.is_imported)
        deleted = remove_model(model, models_dir, registry, delete_files=delete)
        assert registry.paths() == []
        assert mine.exists() is not delete and deleted == ([mine.resolve()] if delete else [])


def test_removing_a_download_deletes_every_part_and_the_empty_folder(tmp_path: Path):
    models_dir = tmp_path / "models"
    repo = models_dir / "owner" / "Split-GGUF"
    parts = [
        write_gguf(repo / f"M-Q2_K-0000{i}-of-00002.gguf", extra_uint16={"split.no": i - 1})
        for i in (1, 2)
    ]
    registry = ImportRegistry(tmp_path / "imports.json")
    (model,) = [m for m in list_local_models(models_dir) if not m.is_starter]
    assert model.repo_id == "owner/Split-GGUF" and model.name == "M-Q2_K"
    with pytest.raises(RemovalError, match="confirm"):
        remove_model(model, models_dir, registry, delete_files=False)
    assert sorted(remove_model(model, models_dir, registry, delete_files=True)) == sorted(parts)
    assert not repo.exists() and models_dir.exists()


def test_a_chosen_models_folder_is_used_by_hearth(hearth_home: Path, tmp_path: Path):
    chosen = tmp_path / "big-disk" / "models"
    paths = choose_models_folder(hearth_paths(), chosen)
    assert paths.models == chosen.resolve() and chosen.is_dir()
    write_gguf(chosen / "owner" / "repo" / "There-Q4_0.gguf")
    hearth = Hearth.open()
    try:
        assert hearth.paths.models == chosen.resolve()
        assert "There-Q4_0" in [m.name for m in hearth.local_models()]
    finally:
        hearth.close()
    back = choose_models_folder(hearth_paths(), None)
    assert back.models == hearth_home.resolve() / "models"
    assert with_chosen_models_folder(hearth_paths()).models == back.models


def test_hearth_lists_imported_models(hearth_home: Path, tmp_path: Path):
    mine = write_gguf(tmp_path / "Imported-Q8_0.gguf")
    ImportRegistry.in_folder(hearth_paths().config).add(mine)
    hearth = Hearth.open()
    try:
        assert hearth.resolve_model("Imported-Q8_0").path == mine.resolve()
    finally:
        hearth.close()


def test_shape_guess_reads_the_parameter_count_or_works_it_out_from_the_size():
    assert params_from_name("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf") == 0.5
    assert params_from_name("SmolLM2-135M-Instruct.Q4_1.gguf") == pytest.approx(0.135)
    assert params_from_name("Mixtral-8x7B-v0.1.Q4_K_M.gguf") == 56
    seventy = guess_shape("Llama-3.3-70B-Instruct-Q4_K_M.gguf", 42_500_000_000)
    assert seventy.n_layers == 80 and seventy.weights_bytes == 42_500_000_000
    by_size = guess_shape("some-model-Q8_0.gguf", 8_500_000_000)  # about 8 billion weights
    assert by_size.n_layers == 32
    assert guess_shape("no-clue.gguf", 1_000) is None
