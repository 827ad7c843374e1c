"""Whether switching models must end the loaded one before the next one starts.

A new model normally starts while the old one still runs, so a failed or cancelled
load leaves the old one usable. When the new one only fits in the memory the old one
holds, or only gets more of the GPU with it, the old one is ended first.
"""

from __future__ import annotations

from collections.abc import Callable

from app.hardware.machine import MachineInfo
from app.hardware.offload import OffloadPlan
from app.library.preflight import ModelDoesNotFit


def plan_with_switch(
    plan_on: Callable[[MachineInfo], OffloadPlan], now: MachineInfo, freed: MachineInfo
) -> tuple[OffloadPlan, bool]:
    """(the plan, whether to end the loaded model first).

    ``now`` is the machine with memory as it is while the loaded model runs; ``freed``
    the same with that model's memory given back. Raises :class:`ModelDoesNotFit` when
    the model fits neither way.
    """
    try:
        plan = plan_on(now)
    except ModelDoesNotFit:
        return plan_on(freed), True
    with_room = plan_on(freed)
    if with_room.n_gpu_layers > plan.n_gpu_layers:
        return with_room, True
    return plan, False
