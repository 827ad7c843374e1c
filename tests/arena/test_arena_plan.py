"""The arena's plan: both fit estimates, never said by side, and how Hearth runs them:
both loaded at once where they fit, else one after the other."""

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


def test_two_models_that_fit_together_stay_loaded_and_answer_at_once(
    starter_model: Path, gemma_model: Path
) -> None:
    sides = {
        "a": Contestant(str(gemma_model), "gemma"),
        "b": Contestant(str(starter_model), "smol"),
    }
    plan = make_plan(sides, _machine(12))  # type: ignore[arg-type]
    assert plan.together is True and plan.both_loaded and not plan.same_model
    assert plan.needs["a"] and plan.needs["b"] and plan.needs["a"] > plan.needs["b"]
    assert "would fit" in plan.text and "Both stay loaded" in plan.text
    assert "at the same time" in plan.text and "one after the other" not in plan.text
    # The sizes come smallest first, whichever side they belong to: no hint at the names.
    small, large = sorted(n for n in plan.needs.values() if n)
    assert plan.text.index("MB") < plan.text.index("GB")
    # Each fits alone, not both with the margin every load keeps: one after the other.
    tight = make_plan(sides, _machine((small + large) / GB))  # type: ignore[arg-type]
    assert tight.together is False and not tight.both_loaded
    assert "would not fit" in tight.text and "one after the other" in tight.text
    assert "ended before the second loads" in tight.text


def test_a_side_on_a_server_runs_beside_the_local_one(starter_model: Path) -> None:
    sides = {
        "a": Contestant(str(starter_model), "smol"),
        "b": Contestant("remote:box/qwen", "qwen on box"),
    }
    plan = make_plan(sides, _machine(1))  # type: ignore[arg-type]
    assert plan.both_loaded and "runs on a server" in plan.text
    assert "at the same time" in plan.text
    later = plan.one_after_the_other("Memory is short, so")
    assert not later.both_loaded and "Memory is short, so Hearth runs them" in later.text


def test_one_model_with_two_settings_loads_once(starter_model: Path) -> None:
    sides = {
        "a": Contestant(str(starter_model), "smol"),
        "b": Contestant(str(starter_model), "smol", temperature=1.2),
    }
    plan = make_plan(sides, _machine(8))  # type: ignore[arg-type]
    assert plan.same_model and "loaded once" in plan.text and not plan.both_loaded
