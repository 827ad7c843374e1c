"""Whether switching models must end the loaded one before the next one starts.

A new model normally starts while the old one still runs, so a failed or cancelled
load leaves the old one usable. When the new one only fits in the memory the old one
holds, or only gets more of the GPU with it, the old one is ended first.
"""

from __future__ import annotations

from collections.abc import Callable

from app.hardware.machine import MachineInfo
from app.hardware.memory_now import refresh_memory
from app.hardware.offload import OffloadPlan
from app.library.preflight import ModelDoesNotFit


def plan_with_switch(
    plan_on: Callable[[MachineInfo], OffloadPlan],
    now: MachineInfo,
    held_ram: int,
    held_vram: int,
    *,
    freed: MachineInfo | None = None,
) -> tuple[OffloadPlan, bool]:
    """(the plan, whether to end the loaded model first).

    ``now`` is the machine with memory as it is; ``held_*`` what the loaded model holds
    (0 when none is loaded). ``freed`` is the machine with that memory given back
    (read afresh from ``now`` when not given). Raises :class:`ModelDoesNotFit` when
    the model fits neither way.
    """
    if not held_ram and not held_vram:
        return plan_on(now), False
    if freed is None:
        freed = refresh_memory(now, add_ram=held_ram, add_vram=held_vram)
    try:
        plan = plan_on(now)
    except ModelDoesNotFit:
        return plan_on(freed), True
    with_room = plan_on(freed)
    if with_room.n_gpu_layers > plan.n_gpu_layers:
        return with_room, True
    return plan, False
