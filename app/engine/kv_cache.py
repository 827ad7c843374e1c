"""The KV cache's element type, as the engine host hands it to llama.cpp.

f16 is llama.cpp's default. q8_0 takes about 0.53x the memory (34 bytes per 32 values)
and q4_0 about 0.28x, at a small cost in quality. A quantized V cache needs flash
attention, and both quantized types need head sizes that are a multiple of 32 (their
block size); llama.cpp refuses the context otherwise, and :func:`refusal_text` says so
in words a user can act on.
"""

from __future__ import annotations

from typing import Any

from app.library.fit import KV_TYPE_IDS, ModelShape, kv_cache_bytes
from app.library.gguf_header import GGUFHeader

# What the settings offer, in order; the fit estimate knows more (app.library.fit).
KV_CHOICES: tuple[str, ...] = ("f16", "q8_0", "q4_0")
FULL_PRECISION = frozenset({"f16", "f32", "bf16"})
QUANT_BLOCK = 32


def llama_arguments(kv_type: str) -> dict[str, Any]:
    """``type_k`` / ``type_v`` for ``llama_cpp.Llama``; nothing for f16 (its default)."""
    if kv_type == "f16":
        return {}
    try:
        type_id = KV_TYPE_IDS[kv_type]
    except KeyError:
        known = ", ".join(KV_CHOICES)
        raise ValueError(f"{kv_type!r} is not a KV cache type Hearth knows ({known})") from None
    return {"type_k": type_id, "type_v": type_id}


def refusal_text(kv_type: str, flash_attn: bool, error: Exception) -> str | None:
    """Why llama.cpp refused a quantized cache, for the user; None if that was not it."""
    if kv_type in FULL_PRECISION or "context" not in str(error).lower():
        return None
    if not flash_attn:
        why = "a quantized KV cache needs flash attention, which is off for this load"
    else:
        why = (
            f"this model's attention heads are not a multiple of {QUANT_BLOCK} values wide,"
            " or this llama.cpp build cannot quantize its cache"
        )
    return (
        f"llama.cpp refused a {kv_type} KV cache for this model ({why}). Choose"
        " f16 as the KV cache type in the model's settings."
    )


def head_dims_fit(kv_type: str, head_dim_k: int, head_dim_v: int) -> bool:
    """Whether llama.cpp can quantize this model's cache to ``kv_type``."""
    if kv_type in FULL_PRECISION:
        return True
    return head_dim_k % QUANT_BLOCK == 0 and head_dim_v % QUANT_BLOCK == 0


def cache_bytes(header: GGUFHeader, n_ctx: int, kv_type: str) -> int:
    """The KV cache's size as the fit estimate counts it; 0 if the header cannot say.

    Only the attention's numbers are read: a full ModelShape would import the gguf
    package, which costs a load 50 ms.
    """
    try:
        shape = ModelShape(
            n_layers=header.block_count,
            n_embd=header.embedding_length,
            n_head=header.head_count,
            n_head_kv=header.head_count_kv,
            n_vocab=0,
            weights_bytes=0,
            head_dim_k=int(header.arch_value("attention.key_length", 0) or 0),
            head_dim_v=int(header.arch_value("attention.value_length", 0) or 0),
        )
        return kv_cache_bytes(shape, n_ctx, kv_type)
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return 0
