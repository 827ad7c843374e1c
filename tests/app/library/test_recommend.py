"""First-run suggestions: catalog models that run on the machine, best fit first."""

from pathlib import Path

from app.hardware import load_machine
from app.library.catalog import load_catalog
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
    suggestions = suggest_downloads(load_catalog(), machine, limit=10)
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
