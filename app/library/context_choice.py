"""How many tokens of context a model is loaded with, when its settings name none.

The KV cache is allocated for the whole context when the model loads, so a context
far beyond what a chat needs costs load time and memory for nothing: a 128k-token
Llama 3 8B would take 16 GB of cache. Peers choose small: LM Studio and Ollama load
4,096 tokens; llama.cpp's own server takes the trained context, cut down to fit the
memory (not below 4,096). Hearth takes the model's trained context up to
:data:`DEFAULT_CONTEXT`, halved until the model fits this machine's memory (not below
:data:`MIN_CONTEXT`), or until all its layers fit the GPU (not below :data:`GPU_FLOOR`),
and says which (:meth:`ContextChoice.words`). A model that fits at no context keeps
the default, and the preflight refuses it with the numbers. A context the user set is
taken as given. Where a chat outgrows the context, the oldest turns are left out
(``app.engine.context_budget``) and the chat says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.hardware.machine import MachineInfo
from app.library.fit import FitVerdict, ModelShape, estimate_fit

DEFAULT_CONTEXT = 8192
MIN_CONTEXT = 2048
# Hearth shortens the context to keep every layer on the GPU, but not below this.
GPU_FLOOR = 4096
# A model file that names no trained context.
UNKNOWN_TRAINED = 4096


@dataclass(frozen=True)
class ContextChoice:
    """The context to load with, the model's trained context, and who chose it."""

    n_ctx: int
    trained: int
    chosen_by_user: bool = False
    # Hearth went below DEFAULT_CONTEXT because the memory is short.
    cut_for_memory: bool = False
    # ... and it did so to keep every layer on the GPU.
    for_the_gpu: bool = False

    def words(self) -> str:
        """One line for the settings dialog and the status line."""
        tokens = f"Context: {self.n_ctx:,} tokens"
        if self.chosen_by_user:
            return f"{tokens} (set for this model; it can take {self.trained:,})"
        if self.n_ctx >= self.trained:
            return f"{tokens} (all this model can take)"
        why = "for this machine"
        if self.for_the_gpu:
            why = "to keep every layer on the GPU"
        elif self.cut_for_memory:
            why = "to fit this machine's memory"
        return f"{tokens} (chosen {why}; the model can take {self.trained:,})"


def choose_context(
    shape: ModelShape,
    machine: MachineInfo,
    saved: int | None = None,
    *,
    kv_type: str = "f16",
) -> ContextChoice:
    """The context ``shape`` loads with on ``machine``; ``saved`` is the user's setting."""
    trained = shape.context_length_trained or UNKNOWN_TRAINED
    if saved:
        return ContextChoice(saved, trained, chosen_by_user=True)
    ceiling = min(trained, DEFAULT_CONTEXT)
    candidates = [ceiling]
    while candidates[-1] > min(ceiling, MIN_CONTEXT):
        candidates.append(max(MIN_CONTEXT, candidates[-1] // 2))
    verdicts = [estimate_fit(shape, machine, n, kv_type=kv_type).verdict for n in candidates]
    # With a GPU, all layers on it (down to GPU_FLOOR tokens) beats a longer context
    # split with the CPU: every token would wait for the CPU's layers.
    if machine.best_gpu() is not None and verdicts[0] is FitVerdict.PARTIAL_GPU:
        for n_ctx, verdict in zip(candidates, verdicts, strict=True):
            if n_ctx >= min(ceiling, GPU_FLOOR) and verdict is FitVerdict.FITS_GPU:
                return ContextChoice(n_ctx, trained, cut_for_memory=True, for_the_gpu=True)
    for n_ctx, verdict in zip(candidates, verdicts, strict=True):
        if verdict.runs:
            return ContextChoice(n_ctx, trained, cut_for_memory=n_ctx < ceiling)
    # A shorter context does not help: the preflight refuses it with the numbers.
    return ContextChoice(ceiling, trained)
