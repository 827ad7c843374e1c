"""The arena's plan: both fit estimates, never said side by side, and what Hearth does."""

from __future__ import annotations

from pathlib import Path

from app.arena.contest import Contestant
from app.arena.plan import make_plan
from app.hardware import MachineInfo

GB = 2**30


def _machine(free_gb: float) -> MachineInfo:
    return MachineInfo(
        os="linux",
        os_version="6",
        arch="x86_64",
        cpu_name="test CPU",
        cpu_cores=4,
        cpu_threads=8,
        total_ram=16 * GB,
        available_ram=int(free_gb * GB),
    )


def test_two_models_that_fit_together_still_answer_in_turn(
    starter_model: Path, gemma_model: Path
) -> None:
    sides = {
        "a": Contestant(str(gemma_model), "gemma"),
        "b": Contestant(str(starter_model), "smol"),
    }
    plan = make_plan(sides, _machine(12))  # type: ignore[arg-type]
    assert plan.together is True and not plan.same_model
    assert plan.needs["a"] and plan.needs["b"] and plan.needs["a"] > plan.needs["b"]
    assert "one after the other" in plan.text and "would fit" in plan.text
    # The sizes come smallest first, whichever side they belong to: no hint at the names.
    small, large = sorted(n for n in plan.needs.values() if n)
    assert plan.text.index("MB") < plan.text.index("GB")
    tight = make_plan(sides, _machine((small + large) / GB * 0.9))  # type: ignore[arg-type]
    assert tight.together is False
    assert "would not fit" in tight.text and "ended before the second loads" in tight.text


def test_one_model_with_two_settings_loads_once(starter_model: Path) -> None:
    sides = {
        "a": Contestant(str(starter_model), "smol"),
        "b": Contestant(str(starter_model), "smol", temperature=1.2),
    }
    plan = make_plan(sides, _machine(8))  # type: ignore[arg-type]
    assert plan.same_model and "loaded once" in plan.text
