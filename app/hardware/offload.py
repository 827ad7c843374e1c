"""Decides how a model is loaded: GPU layers, flash attention and KV cache type.

:func:`plan_offload` turns a :class:`~app.library.fit.ModelShape` and a
:class:`~app.hardware.machine.MachineInfo` into an :class:`OffloadPlan`: as many
layers on the GPU as fit its free memory with a margin (10 % and 512 MB, see
:mod:`app.library.fit` for the memory model), or exactly the number the user set,
with a sentence saying why. ``n_gpu_layers = n_layers + 1`` means everything,
output layer included (``-1`` in llama-cpp-python's terms, which
:meth:`OffloadPlan.llama_kwargs` passes).

Not imported by ``app.hardware`` itself: this module needs ``app.library.fit``,
which needs ``app.hardware.machine``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.hardware.describe import backend_label
from app.hardware.machine import GpuDevice, MachineInfo
from app.hardware.units import format_gb, gb_number
from app.library.fit import (
    KV_TYPE_IDS,
    KV_TYPE_SIZES,
    FitEstimate,
    FitVerdict,
    ModelShape,
    estimate_fit,
    with_headroom,
)

_FULL_PRECISION_KV = ("f16", "f32", "bf16")


@dataclass(frozen=True)
class OffloadPlan:
    """How to load one model on this machine, and why."""

    n_gpu_layers: int  # 0 .. n_layers + 1; n_layers + 1 = everything
    backend_used: str  # 'cuda' | 'metal' | 'vulkan' | ... | 'cpu'
    device_name: str | None
    kv_cache_type: str
    flash_attn: bool
    reason: str
    fits: bool
    estimate: FitEstimate
    output_on_gpu: bool  # the output layer is the first one offloaded
    notes: tuple[str, ...] = ()  # placement details and adjustments, in plain words

    @property
    def all_layers(self) -> bool:
        return self.estimate.all_on_gpu

    def llama_kwargs(self) -> dict[str, Any]:
        """Arguments for ``llama_cpp.Llama`` (0.3.36) that carry out this plan."""
        type_id = KV_TYPE_IDS[self.kv_cache_type]
        return {
            "n_gpu_layers": -1 if self.all_layers else self.n_gpu_layers,
            "flash_attn": self.flash_attn,
            "type_k": type_id,
            "type_v": type_id,
        }


def plan_offload(
    shape: ModelShape,
    machine: MachineInfo,
    n_ctx: int,
    *,
    override: int | None = None,
    kv_type: str = "f16",
    flash_attn: bool | None = None,
) -> OffloadPlan:
    """The plan for ``shape`` at ``n_ctx`` tokens; ``override`` is the user's GPU layers.

    ``override``: None chooses; 0 .. n_layers + 1 (or -1 for all) is taken as given,
    and the plan says whether it fits. ``flash_attn``: None turns it on where the
    backend profits (CUDA, Metal) or where a quantized KV cache requires it.
    """
    if kv_type not in KV_TYPE_SIZES:
        raise ValueError(f"unknown KV cache type {kv_type!r}; one of {', '.join(KV_TYPE_SIZES)}")
    total_layers = shape.n_layers + 1
    requested = _clamp_override(override, total_layers)
    gpu = machine.best_gpu()
    notes: list[str] = []
    if flash_attn is False and kv_type not in _FULL_PRECISION_KV:
        notes.append(
            f"A {kv_type} KV cache needs flash attention, which is off: using f16 instead."
        )
        kv_type = "f16"
    if gpu is None and requested:
        notes.append(f"The {requested} GPU layers set for this model run on the CPU instead.")
    estimate = estimate_fit(
        shape, machine, n_ctx, kv_type=kv_type, flash_attn=flash_attn, n_gpu_layers=requested
    )
    k = estimate.n_gpu_layers
    if k:
        notes.append(_placement_note(k, total_layers))
    return OffloadPlan(
        n_gpu_layers=k,
        backend_used=estimate.backend,
        device_name=gpu.name if gpu and k else None,
        kv_cache_type=kv_type,
        flash_attn=estimate.flash_attn,
        reason=_reason(shape, machine, gpu, estimate, requested, override),
        fits=estimate.verdict.runs,
        estimate=estimate,
        output_on_gpu=k >= 1,
        notes=tuple(notes),
    )


def _clamp_override(override: int | None, total_layers: int) -> int | None:
    if override is None:
        return None
    if override == -1:
        return total_layers
    if override < 0:
        raise ValueError(f"GPU layers must be -1 (all), 0 or more, not {override}")
    return min(override, total_layers)


def _placement_note(k: int, total_layers: int) -> str:
    if k >= total_layers:
        return "The token embeddings stay in RAM (llama.cpp keeps the input layer on the CPU)."
    return (
        f"The output layer and the last {k - 1} transformer blocks are on the GPU;"
        " the token embeddings and the first blocks stay in RAM."
    )


def _gpu_words(gpu: GpuDevice, used: int) -> str:
    if gpu.unified_memory:
        label = backend_label(gpu.backend)
        return f"{label}, {gb_number(used)} of {format_gb(gpu.free_vram)} usable"
    return f"{gb_number(used)} of {format_gb(gpu.total_vram)}"


def _gpu_has(gpu: GpuDevice) -> str:
    if gpu.unified_memory:
        return f"the GPU may use {format_gb(gpu.free_vram)}"
    return f"the GPU has {format_gb(gpu.free_vram)} free"


def _reason(
    shape: ModelShape,
    machine: MachineInfo,
    gpu: GpuDevice | None,
    estimate: FitEstimate,
    requested: int | None,
    override: int | None,
) -> str:
    name = shape.name or "the model"
    total_layers = estimate.n_layers_total
    k = estimate.n_gpu_layers
    ram = format_gb(machine.available_ram)
    if estimate.verdict is FitVerdict.DOES_NOT_FIT:
        where = f"{ram} of RAM available"
        if gpu is not None:
            where += f" and the {gpu.name} has {format_gb(gpu.free_vram)} free"
        if requested is not None and k:
            return (
                f"{k} of {total_layers} layers on the GPU, as set for this model, do not fit:"
                f" they need {format_gb(estimate.gpu_bytes)} and {where}."
                " Lower the GPU layers or choose automatic."
            )
        need = estimate.total_bytes
        return (
            f"Does not fit: {name} needs {format_gb(need)} ({format_gb(with_headroom(need))}"
            f" with a safety margin) at {estimate.n_ctx:,} tokens of context, and this"
            f" computer has {where}."
        )
    chosen = " (as set for this model)" if requested is not None else ""
    if k >= total_layers and gpu is not None:
        used = _gpu_words(gpu, estimate.gpu_bytes)
        return f"All {total_layers} layers on the {gpu.name} ({used}){chosen}"
    if k and gpu is not None:
        return (
            f"{k} of {total_layers} layers on the GPU; the rest on the CPU{chosen}: {name}"
            f" needs {format_gb(estimate.total_bytes)}, {_gpu_has(gpu)}"
        )
    return _cpu_reason(machine, gpu, override)


def _cpu_reason(machine: MachineInfo, gpu: GpuDevice | None, override: int | None) -> str:
    if gpu is not None:
        if override == 0:
            return "CPU only, as set for this model (0 GPU layers)"
        return (
            f"CPU only: the {gpu.name} has too little free memory"
            f" ({format_gb(gpu.free_vram)}) for even one layer"
        )
    engine = machine.engine
    unused = ", ".join(g.name for g in machine.gpus)
    if engine is not None and not engine.supports_gpu_offload:
        suffix = f" (the {unused} is not used)" if unused else ""
        return f"No GPU backend in this build: CPU only{suffix}"
    if machine.gpus:
        backends = ", ".join(sorted({backend_label(g.backend) for g in machine.gpus}))
        return f"This engine build has no {backends} support: CPU only (the {unused} is not used)"
    return "No graphics card that the engine can use: CPU only"
