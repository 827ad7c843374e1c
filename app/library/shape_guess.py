"""A model's shape guessed from its file name and size, for files not yet downloaded.

Used only when neither the catalog nor the file's own header is at hand. The parameter
count is read from the name ("Llama-3.2-3B", "Qwen2.5-0.5B", "SmolLM2-135M"); failing
that, it is worked out from the file size and the quantization's usual bits per
weight. The architecture numbers are then those of a typical dense decoder of that
size (the popular model families listed in :data:`TYPICAL_SHAPES`). The weights are
the file's real size, which dominates the estimate; the KV cache and compute buffers
are the guessed part, so the verdict is marked as an estimate in the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.hub.files import parse_quant
from app.library.fit import ModelShape

# "7B", "0.5B", "135M", "8x7B" (counted as the total), preceded by a separator.
_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)([BM])(?![A-Za-z0-9])", re.I)
# Usual bits per weight of llama.cpp's quantizations (whole-file averages).
BITS_PER_WEIGHT = {
    "IQ1_S": 1.6, "IQ1_M": 1.8, "IQ2_XXS": 2.1, "IQ2_XS": 2.3, "IQ2_S": 2.5, "IQ2_M": 2.7,
    "Q2_K": 2.9, "IQ3_XXS": 3.1, "IQ3_XS": 3.3, "IQ3_S": 3.4, "IQ3_M": 3.6, "Q3_K_S": 3.5,
    "Q3_K_M": 3.9, "Q3_K_L": 4.3, "IQ4_XS": 4.3, "IQ4_NL": 4.5, "Q4_0": 4.5, "Q4_K_S": 4.6,
    "Q4_K_M": 4.9, "Q4_1": 5.0, "Q5_0": 5.5, "Q5_K_S": 5.5, "Q5_K_M": 5.7, "Q5_1": 6.0,
    "Q6_K": 6.6, "Q8_0": 8.5, "F16": 16.0, "BF16": 16.0, "FP16": 16.0, "F32": 32.0,
}  # fmt: skip


@dataclass(frozen=True)
class TypicalShape:
    max_params_billion: float
    layers: int
    embedding: int
    heads: int
    kv_heads: int
    vocab: int
    feed_forward: int
    example: str


# Up to each size, the shape of a popular model of about that size.
TYPICAL_SHAPES = (
    TypicalShape(0.25, 30, 576, 9, 3, 49152, 1536, "SmolLM2-135M"),
    TypicalShape(0.8, 24, 896, 14, 2, 151936, 4864, "Qwen2.5-0.5B"),
    TypicalShape(2.0, 28, 1536, 12, 2, 151936, 8960, "Qwen2.5-1.5B"),
    TypicalShape(4.5, 28, 3072, 24, 8, 128256, 8192, "Llama-3.2-3B"),
    TypicalShape(10.0, 32, 4096, 32, 8, 128256, 14336, "Llama-3.1-8B"),
    TypicalShape(16.0, 48, 5120, 40, 8, 152064, 13824, "Qwen2.5-14B"),
    TypicalShape(40.0, 64, 5120, 40, 8, 152064, 27648, "Qwen2.5-32B"),
    TypicalShape(90.0, 80, 8192, 64, 8, 128256, 28672, "Llama-3.1-70B"),
    TypicalShape(float("inf"), 126, 16384, 128, 8, 128256, 53248, "Llama-3.1-405B"),
)


def params_from_name(name: str) -> float | None:
    """Billions of parameters named in a file or repository name, else None."""
    found = None
    for experts, number, unit in _PARAMS.findall(name):
        value = float(number) * (int(experts) if experts else 1)
        found = value / 1000 if unit.upper() == "M" else value
    return found


def params_from_size(name: str, size_bytes: int) -> float | None:
    """Billions of parameters implied by the file size and the quantization in its name."""
    quant = parse_quant(name)
    bits = BITS_PER_WEIGHT.get(quant.removeprefix("UD-")) if quant else None
    return size_bytes * 8 / bits / 1e9 if bits else None


def guess_shape(name: str, size_bytes: int) -> ModelShape | None:
    """A typical shape for ``name`` at ``size_bytes`` of weights; None without any clue."""
    params = params_from_name(name) or params_from_size(name, size_bytes)
    if not params or size_bytes <= 0:
        return None
    typical = next(t for t in TYPICAL_SHAPES if params <= t.max_params_billion)
    quant = parse_quant(name)
    return ModelShape(
        n_layers=typical.layers,
        n_embd=typical.embedding,
        n_head=typical.heads,
        n_head_kv=typical.kv_heads,
        n_vocab=typical.vocab,
        weights_bytes=size_bytes,
        n_ff=typical.feed_forward,
        name=f"{params:g}B {quant or ''}".strip(),
        n_params=round(params * 1e9),
    )
