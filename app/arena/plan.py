"""The arena's plan, said before the first answer: what each side needs, whether both
would fit in memory at once, and so how Hearth runs them: both loaded, each in an
engine of its own, answering at the same time; or one after the other in the app's
engine, switching models between them.

The figures come from the fit estimate (``app.library.fit``) of each model's file at
the context it would load with (``choose_context``); both fit when their sum, with the
margin every load keeps (``with_headroom``), is within the memory free. The words never
name the models, only A and B. A side on a remote server needs no memory here, so it
always runs beside the other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from app.arena.contestant import Contestant
from app.hardware.machine import MachineInfo
from app.hardware.units import format_gb
from app.library.context_choice import choose_context
from app.library.fit import ModelShape, estimate_fit, with_headroom
from app.library.gguf_header import GGUFError, read_gguf_header
from app.remote.refs import is_remote_ref
from app.store.arena import Side

IN_TURN = (
    "Hearth runs them one after the other: the model loaded now answers first, then "
    "Hearth switches to the other (the switch is shown)."
)
SIDE_BY_SIDE = (
    "Both stay loaded, each in an engine of its own, and answer at the same time; "
    "nothing is reloaded between turns."
)


@dataclass(frozen=True)
class ArenaPlan:
    """needs: bytes each local side needs (None: remote, or its file could not be read).
    together: whether both fit in memory at once (None: not known, or a side is remote).
    both_loaded: the sides run in two engines at once (else one after the other in one).
    text: the plan in words."""

    needs: dict[Side, int | None]
    together: bool | None
    same_model: bool
    text: str
    both_loaded: bool = False

    def one_after_the_other(self, why: str) -> ArenaPlan:
        """This plan run in turn instead, ``why`` said first."""
        return replace(self, both_loaded=False, text=f"{why} {IN_TURN}")


def _need(contestant: Contestant, machine: MachineInfo, n_ctx: int | None) -> int | None:
    if is_remote_ref(contestant.model_path):
        return None
    try:
        header = read_gguf_header(Path(contestant.model_path))
        shape = ModelShape.from_header(header)
        if n_ctx is None:
            n_ctx = choose_context(shape, machine).n_ctx
        else:
            n_ctx = min(header.context_length or n_ctx, n_ctx)
        return estimate_fit(shape, machine, n_ctx).total_bytes
    except (GGUFError, OSError, ArithmeticError, LookupError, TypeError, ValueError):
        return None


def free_memory(machine: MachineInfo) -> int:
    """What a model can use: free RAM, plus a discrete GPU's free memory."""
    memory = machine.available_ram
    gpu = machine.best_gpu()
    if gpu is not None and not gpu.unified_memory:
        memory += gpu.free_vram
    return memory


def make_plan(
    contestants: dict[Side, Contestant], machine: MachineInfo, n_ctx: int | None = None
) -> ArenaPlan:
    """The plan on ``machine``'s memory (read it now, with what the sides' own models
    already hold counted as free: see ``app.arena.engines``). ``n_ctx``: the context
    to plan both at, instead of the one each would load with."""
    a, b = contestants["a"], contestants["b"]
    same = a.model_path == b.model_path
    needs: dict[Side, int | None] = {"a": _need(a, machine, n_ctx), "b": _need(b, machine, n_ctx)}
    if same:
        text = (
            "Both sides are one model with different settings: it is loaded once and "
            "answers twice, A then B."
        )
        return ArenaPlan(needs, True, True, text)
    remote = sum(is_remote_ref(c.model_path) for c in (a, b))
    # Sizes in order of size, never by side: a size would tell which model is which.
    local = sorted(n for n in needs.values() if n is not None)
    memory = free_memory(machine)
    if remote == 2:
        return ArenaPlan(needs, None, False, "Both models run on servers. " + SIDE_BY_SIDE, True)
    if remote == 1:
        need = f"; the other needs about {format_gb(local[0])}" if local else ""
        text = f"One model runs on a server{need}. {SIDE_BY_SIDE}"
        return ArenaPlan(needs, None, False, text, True)
    if len(local) < 2:
        text = "The size of a model could not be read, so " + IN_TURN[0].lower() + IN_TURN[1:]
        return ArenaPlan(needs, None, False, text)
    together = with_headroom(sum(local)) <= memory
    fit = "would fit" if together else "would not fit"
    text = (
        f"The two models need about {format_gb(local[0])} and {format_gb(local[1])}; "
        f"together they {fit} in the {format_gb(memory)} free now. "
    )
    if together:
        return ArenaPlan(needs, True, False, text + SIDE_BY_SIDE, True)
    text += IN_TURN + " The first model is ended before the second loads, to make room."
    return ArenaPlan(needs, False, False, text)
