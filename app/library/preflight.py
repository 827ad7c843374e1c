"""The check before a load: a model that cannot fit is refused, with the numbers.

Loading a model that does not fit in memory does not fail cleanly: the computer
swaps, the window freezes, or the system kills the engine minutes later. So before
any weights are read, :func:`preflight` plans the load (:func:`plan_offload`) and,
when the verdict is "does not fit", raises :class:`ModelDoesNotFit` carrying the
estimate (:meth:`FitEstimate.explain` gives the numbers in plain words) and the ways
the user may still load it:

* :attr:`LoadChoice.CPU`: on the processor, from RAM (llama.cpp maps the file, so a
  model larger than the RAM still runs, very slowly);
* :attr:`LoadChoice.PARTLY_GPU`: as many layers as fit on the GPU, the rest in RAM;
  offered only where a GPU this engine build can use exists.

The front end asks; the load starts only once the user has chosen. A choice is an
explicit instruction: ``CPU`` loads on the CPU even when the model would fit a GPU.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from functools import partial

from app.engine.errors import EngineError
from app.hardware.machine import MachineInfo
from app.hardware.offload import OffloadPlan, plan_offload
from app.hardware.units import format_gb
from app.library.fit import FitEstimate, FitVerdict, ModelShape


class LoadChoice(Enum):
    """How to load a model; ``CHECK`` refuses one that does not fit."""

    CHECK = "check"
    CPU = "cpu"
    PARTLY_GPU = "partly_gpu"

    @property
    def label(self) -> str:
        return _CHOICE_LABELS[self]


_CHOICE_LABELS = {
    LoadChoice.CHECK: "Load if it fits",
    LoadChoice.CPU: "Load on CPU anyway",
    LoadChoice.PARTLY_GPU: "Partly on GPU",
}


class ModelDoesNotFit(EngineError):
    """Raised before loading: ``str()`` is the explanation with the numbers.

    ``choices`` lists the ways to load it anyway on this machine, in the order to offer them.
    """

    def __init__(self, model_path: str, estimate: FitEstimate, choices: tuple[LoadChoice, ...]):
        super().__init__(estimate.explain())
        self.model_path = model_path
        self.estimate = estimate
        self.choices = choices


def preflight(
    shape: ModelShape,
    machine: MachineInfo,
    n_ctx: int,
    *,
    choice: LoadChoice | None = LoadChoice.CHECK,
    override: int | None = None,
    kv_type: str = "f16",
    model_path: str = "",
    flash_attn: bool | None = None,
) -> OffloadPlan:
    """The plan to load ``shape``; raises :class:`ModelDoesNotFit` rather than overcommit.

    ``choice=None`` only plans (for reports such as ``hearth system``) and never
    refuses. ``override`` is the GPU layers saved for the model, used unless the
    user chose ``CPU`` or ``PARTLY_GPU``. ``flash_attn``: None leaves it to the plan.
    """
    plan_for = partial(plan_offload, shape, machine, n_ctx, kv_type=kv_type, flash_attn=flash_attn)
    if choice is LoadChoice.CPU:
        return _chosen(plan_for(override=0))
    if choice is LoadChoice.PARTLY_GPU:
        if machine.best_gpu() is None:
            raise ValueError("this machine has no GPU the engine can use: choose the CPU")
        return _chosen(plan_for(override=None))
    plan = plan_for(override=override)
    if choice is LoadChoice.CHECK and plan.estimate.verdict is FitVerdict.DOES_NOT_FIT:
        raise ModelDoesNotFit(model_path, plan.estimate, ways_to_force(machine))
    return plan


def ways_to_force(machine: MachineInfo) -> tuple[LoadChoice, ...]:
    """The choices to offer for a model that does not fit on ``machine``."""
    if machine.best_gpu() is None:
        return (LoadChoice.CPU,)
    return (LoadChoice.CPU, LoadChoice.PARTLY_GPU)


def _chosen(plan: OffloadPlan) -> OffloadPlan:
    """Marks a plan the user asked for; says so when it does not fit."""
    if plan.estimate.verdict is not FitVerdict.DOES_NOT_FIT:
        return replace(plan, reason=f"{plan.reason} (as you chose)")
    estimate = plan.estimate
    where = "on the CPU"
    if plan.n_gpu_layers:
        where = f"with {plan.n_gpu_layers} of {estimate.n_layers_total} layers on the GPU"
    reason = (
        f"Loaded {where} as you chose, although it does not fit: it needs about"
        f" {format_gb(estimate.total_bytes)} and {format_gb(estimate.ram_available)} of RAM"
        " is available, so it may run very slowly"
    )
    return replace(plan, reason=reason)
