"""settings.json and its one owner: keys written by one writer survive another's writes,
across threads and processes; writes are whole files; a damaged file reads as defaults."""

from __future__ import annotations

import json
import multiprocessing
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from app.library.models_folder import choose_models_folder, with_chosen_models_folder
from app.paths import hearth_paths
from app.settings import AppSettings, SettingsFile

WRITES_PER_PROCESS = 150


def test_an_update_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    path.parent.mkdir()
    # A newer Hearth wrote a key this one does not know: it is kept.
    path.write_text(json.dumps({"models_dir": "/models", "theme": "dark"}), encoding="utf-8")
    settings = SettingsFile(path)

    written = settings.update(last_model="/models/a/b/model.gguf")

    assert written == AppSettings(last_model="/models/a/b/model.gguf", models_dir="/models")
    assert settings.read() == written
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == {
        "models_dir": "/models",
        "theme": "dark",
        "last_model": "/models/a/b/model.gguf",
    }
    assert settings.update(models_dir=None).models_dir is None
    assert settings.read().last_model == "/models/a/b/model.gguf"
    # Only the file and its lock file are left: no temporary file.
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json", "settings.json.lock"]


def test_a_name_that_is_not_a_setting_or_a_wrong_value_is_refused(tmp_path: Path) -> None:
    settings = SettingsFile(tmp_path / "settings.json")
    with pytest.raises(TypeError, match="colour"):
        settings.update(colour="blue")
    with pytest.raises(TypeError, match="last_model=5"):
        settings.update(last_model=5)  # type: ignore[arg-type]
    assert not settings.path.exists()


def test_a_hand_edited_value_of_the_wrong_type_reads_as_the_default(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"last_model": 5, "models_dir": "/m"}), encoding="utf-8")
    assert SettingsFile(path).read() == AppSettings(models_dir="/m")


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", ""])
def test_a_damaged_file_reads_as_defaults_and_is_replaced_whole(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(damage, encoding="utf-8")
    settings = SettingsFile(path)

    assert settings.read() == AppSettings()
    settings.update(last_model="/m.gguf")
    assert json.loads(path.read_text(encoding="utf-8")) == {"last_model": "/m.gguf"}


def _write_many(path: str, name: str, ready: Event, go: Event) -> None:
    """In its own process: set ``name`` many times, checking each value is kept."""
    settings = SettingsFile(Path(path))
    ready.set()
    go.wait(30)
    for number in range(WRITES_PER_PROCESS):
        value = f"{name}-{number}"
        settings.update(**{name: value})
        seen = getattr(settings.read(), name)
        if seen != value:  # the other process wrote back a stale copy of this key
            raise SystemExit(f"{name}: wrote {value}, then read {seen}")


def test_two_processes_writing_at_once_never_lose_each_others_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    writers = []
    for name in ("last_model", "models_dir"):
        ready = context.Event()
        process = context.Process(target=_write_many, args=(str(path), name, ready, go))
        process.start()
        assert ready.wait(60)
        writers.append(process)
    go.set()
    for process in writers:
        process.join(120)

    assert [process.exitcode for process in writers] == [0, 0]
    last = WRITES_PER_PROCESS - 1
    assert SettingsFile(path).read() == AppSettings(
        last_model=f"last_model-{last}", models_dir=f"models_dir-{last}"
    )


def test_choosing_the_models_folder_keeps_the_last_model(hearth_home: Path) -> None:
    paths = hearth_paths()
    settings = SettingsFile(paths.settings_file)
    settings.update(last_model="/somewhere/model.gguf")
    chosen = hearth_home / "elsewhere"

    moved = choose_models_folder(paths, chosen)

    assert moved.models == chosen.resolve() and chosen.is_dir()
    assert settings.read() == AppSettings("/somewhere/model.gguf", str(chosen.resolve()))
    assert with_chosen_models_folder(paths).models == chosen.resolve()
