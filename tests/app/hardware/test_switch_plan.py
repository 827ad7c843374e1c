"""Switching models on a GPU machine: memory read now, and the old model ended first only
when the new one needs what it holds (recorded machines, planned as the app plans)."""

from __future__ import annotations

from dataclasses import replace

import psutil
import pytest

from app.hardware.machine import MachineInfo
from app.hardware.memory_now import refresh_memory
from app.library.preflight import LoadChoice, ModelDoesNotFit, preflight
from app.library.switch_plan import plan_with_switch

LINUX_4090 = "linux_rtx4090_24gb_ram64gb"
GIB = 1024**3


def _with_free(machine: MachineInfo, ram: int, vram: int) -> MachineInfo:
    gpus = tuple(replace(gpu, free_vram=vram) for gpu in machine.gpus)
    return replace(machine, available_ram=ram, gpus=gpus)


def _planner(shape):  # type: ignore[no-untyped-def]
    return lambda machine: preflight(shape, machine, 8192, choice=LoadChoice.CHECK)


def test_a_model_that_fits_beside_the_old_one_keeps_it_until_ready(machines, shapes):
    machine = machines[LINUX_4090]
    now = _with_free(machine, 40 * GIB, 20 * GIB)
    freed = _with_free(machine, 44 * GIB, 23 * GIB)
    plan, end_first = plan_with_switch(_planner(shapes["llama3_8b_q4_k_m"]), now, freed)
    assert not end_first
    assert plan.n_gpu_layers == shapes["llama3_8b_q4_k_m"].n_layers + 1  # all on the GPU


def test_a_model_that_needs_the_old_ones_gpu_memory_ends_it_first(machines, shapes):
    machine = machines[LINUX_4090]
    shape = shapes["llama3_8b_q4_k_m"]
    # Another 8B already holds most of the card: beside it, the new one is only partly
    # on the GPU; with its memory back, entirely.
    now = _with_free(machine, 40 * GIB, 3 * GIB)
    freed = _with_free(machine, 45 * GIB, 21 * GIB)
    beside = _planner(shape)(now)
    plan, end_first = plan_with_switch(_planner(shape), now, freed)
    assert end_first
    assert plan.n_gpu_layers > beside.n_gpu_layers


def test_a_model_that_only_fits_without_the_old_one_ends_it_first(machines, shapes):
    machine = machines[LINUX_4090]
    shape = shapes["llama3_70b_q4_k_m"]
    now = _with_free(machine, 8 * GIB, 1 * GIB)
    freed = _with_free(machine, 48 * GIB, 23 * GIB)
    with pytest.raises(ModelDoesNotFit):
        _planner(shape)(now)
    _plan, end_first = plan_with_switch(_planner(shape), now, freed)
    assert end_first


def test_free_memory_is_read_afresh(machines):
    # A figure recorded long ago (the machine as probed at start-up): the plan must not
    # use it. (Whether the kernel's own figure drops as this process allocates depends
    # on the machine: on this test VM, memory touched for the first time comes from
    # pages the kernel had not counted as free, so that is not asserted.)
    recorded = replace(machines[LINUX_4090], available_ram=1)
    live = psutil.virtual_memory().available
    fresh = refresh_memory(recorded).available_ram
    assert fresh > GIB and abs(fresh - live) < GIB
    freed = refresh_memory(recorded, add_ram=GIB).available_ram
    assert abs(freed - fresh - GIB) < GIB // 4  # what the old model holds counts as free
