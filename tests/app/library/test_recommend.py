"""First-run suggestions: catalog models that run on the machine, best fit first."""

import json
from pathlib import Path

from app.engine.families import TESTED_FAMILIES
from app.hardware import load_machine
from app.library.catalog import catalog_path, load_catalog
from app.library.fit import FitVerdict
from app.library.recommend import suggest_downloads

MACHINES = Path(__file__).resolve().parents[1] / "hardware" / "machines"


def test_a_24_gb_gpu_gets_models_that_fit_on_the_gpu():
    suggestions = suggest_downloads(
        load_catalog(), load_machine(MACHINES / "linux_rtx4090_24gb_ram64gb.json")
    )
    assert len(suggestions) == 3
    assert all(s.verdict is FitVerdict.FITS_GPU for s in suggestions)
    assert all("70B" not in s.name and "72B" not in s.name for s in suggestions)


def test_a_16_gb_cpu_laptop_gets_small_models_that_run_there():
    machine = load_machine(MACHINES / "laptop_cpu_only_16gb.json")
    suggestions = suggest_downloads(load_catalog(), machine)
    assert suggestions
    assert all(s.verdict is FitVerdict.CPU_ONLY for s in suggestions)
    assert [s.size_bytes for s in suggestions] == sorted(s.size_bytes for s in suggestions)
    assert all(s.size_bytes < machine.total_ram for s in suggestions)


def test_a_64_gb_mac_can_be_offered_a_70b_model():
    machine = load_machine(MACHINES / "mac_m2max_64gb.json")
    catalog = load_catalog()
    suggestions = suggest_downloads(catalog, machine, limit=len(catalog.models))
    assert any("70B" in s.name or "72B" in s.name for s in suggestions)
    assert all(s.verdict.runs for s in suggestions)


def test_without_a_gpu_a_4_to_5_bit_file_is_suggested_over_a_6_or_8_bit_one():
    machine = load_machine(MACHINES / "laptop_cpu_only_16gb.json")
    llama = next(
        s
        for s in suggest_downloads(load_catalog(), machine, limit=10)
        if s.name.startswith("Llama 3.1 8B")
    )
    assert "Q4_K_M" in llama.file_name


def test_only_models_of_a_tested_chat_format_are_suggested(tmp_path: Path):
    machine = load_machine(MACHINES / "linux_rtx4090_24gb_ram64gb.json")
    shipped = load_catalog()
    everything = suggest_downloads(shipped, machine, limit=len(shipped.models))
    names = {s.name for s in everything}
    assert {"Qwen3 8B", "gpt-oss 20B", "DeepSeek-R1 Distill Qwen 7B"} <= names
    assert all(shipped.get(s.model_id).family in TESTED_FAMILIES for s in everything)

    # The same catalog, with the smallest model in a chat format Hearth has no tests for.
    raw = json.loads(catalog_path({}).read_text(encoding="utf-8"))
    untested = next(m for m in raw["models"] if m["id"] == everything[0].model_id)
    untested["family"] = "glm4"
    edited = tmp_path / "catalog.json"
    edited.write_text(json.dumps(raw))
    catalog = load_catalog(edited)
    assert catalog.get(untested["id"]).family == "glm4"
    for machine_file in sorted(MACHINES.glob("*.json")):
        found = suggest_downloads(catalog, load_machine(machine_file), limit=len(catalog.models))
        assert found, machine_file.name
        assert untested["id"] not in {s.model_id for s in found}, machine_file.name
    assert suggest_downloads(catalog, machine)[0].model_id != untested["id"]
