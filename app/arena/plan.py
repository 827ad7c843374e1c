"""The arena's plan, said before the first answer: what each side needs, whether both
would fit in memory at once, and how Hearth will run them (one after the other).

The figures come from the fit estimate (``app.library.fit``) of each model's file at
the context it would load with; the words never name the models, only A and B.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.arena.contest import Contestant
from app.hardware.machine import MachineInfo
from app.hardware.units import format_gb
from app.library.fit import ModelShape, estimate_fit
from app.library.gguf_header import GGUFError, read_gguf_header
from app.remote.refs import is_remote_ref
from app.store.arena import Side

DEFAULT_CONTEXT = 4096


@dataclass(frozen=True)
class ArenaPlan:
    """needs: bytes each local side needs (None: remote, or its file could not be read).
    together: whether both fit in memory at once. text: the plan in words."""

    needs: dict[Side, int | None]
    together: bool | None
    same_model: bool
    text: str


def _need(contestant: Contestant, machine: MachineInfo, n_ctx: int) -> int | None:
    if is_remote_ref(contestant.model_path):
        return None
    try:
        header = read_gguf_header(Path(contestant.model_path))
        shape = ModelShape.from_header(header)
        trained = header.context_length or n_ctx
        return estimate_fit(shape, machine, min(trained, n_ctx)).total_bytes
    except (GGUFError, OSError, ArithmeticError, LookupError, TypeError, ValueError):
        return None


def make_plan(
    contestants: dict[Side, Contestant], machine: MachineInfo, n_ctx: int = DEFAULT_CONTEXT
) -> ArenaPlan:
    a, b = contestants["a"], contestants["b"]
    same = a.model_path == b.model_path
    needs: dict[Side, int | None] = {"a": _need(a, machine, n_ctx), "b": _need(b, machine, n_ctx)}
    memory = machine.available_ram
    gpu = machine.best_gpu()
    if gpu is not None and not gpu.unified_memory:
        memory += gpu.free_vram
    if same:
        text = (
            "Both sides are one model with different settings: it is loaded once and "
            "answers twice, A then B."
        )
        return ArenaPlan(needs, True, True, text)
    # Sizes in order of size, never by side: a size would tell which model is which.
    local = sorted(n for n in needs.values() if n is not None)
    together: bool | None = None
    if len(local) == 2:
        together = sum(local) <= memory
        fit = "would fit" if together else "would not fit"
        text = (
            f"The two models need about {format_gb(local[0])} and {format_gb(local[1])}; "
            f"together they {fit} in the {format_gb(memory)} free now. "
        )
    elif len(local) == 1:
        text = f"One model runs on a server; the other needs about {format_gb(local[0])}. "
    else:
        text = "Both models run on servers. "
    text += (
        "Hearth runs one model at a time, so they answer one after the other: the model "
        "loaded now answers first, then Hearth switches to the other (the switch is shown)."
    )
    if together is False:
        text += " The first model is ended before the second loads, to make room."
    return ArenaPlan(needs, together, False, text)
