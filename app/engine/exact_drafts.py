"""Whether a batch of tokens gets the same logits as the same tokens decoded one by one.

Speculative decoding checks a draft in one batch, so its reply is the plain loop's token
for token only where llama.cpp computes each position of a batch exactly as it computes
that token alone. On the CPU that holds for some loads and not others (measured with
this build on the 2-core x86 machine, bit for bit over six positions):

* attention through matrix products (flash attention off) rounds a batch differently:
  the starter model parts by up to 0.6 in a logit. With flash attention it is exact;
* weights repacked for the CPU's batch kernels (Q4_0 and Q4_K on AVX2: one token goes
  through another kernel than four or more) round differently: Gemma 3's Q4_K_M file
  parts even with flash attention, and is exact with repacking off.

What a GPU backend does was not measured. So the host asks the loaded model once, on a
short text, rather than guessing from the file.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

PROBE_TEXT = (
    b"A draft of several tokens is checked in one batch, each position against the logits"
    b" it would have alone. Where the kernels differ, so do the last bits of the sums."
)
# Where batches are checked: after this many tokens in the cache. Attention's kernels are
# chosen by the cache's length too, and a single length can hide a difference (measured:
# the starter without flash attention was exact after 1 and 100 tokens, not after 8-64;
# Gemma 3 with it was exact after 40 only). Each costs BATCH single-token decodes.
PREFIXES = (8, 33)
# A batch long enough for every kernel choice by batch size (one token, two or more for
# llamafile's, four rows and a remainder for the repacked kernels).
BATCH = 5


def batch_matches_single_tokens(llm: Any, prefixes: tuple[int, ...] = PREFIXES) -> bool:
    """True when ``llm`` gives every position of a batch the logits it gives that
    position decoded alone, after each of ``prefixes`` tokens. Uses and then empties the
    model's KV cache (call it before the first request)."""
    import llama_cpp

    needed = prefixes[-1] + BATCH
    tokens = llm.tokenize(PROBE_TEXT * (1 + needed // 16), add_bos=True, special=False)
    if len(tokens) < needed or needed > int(llm.n_ctx()):
        return False
    ctx = llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(ctx)
    n_vocab = int(llm.n_vocab())
    held = 0
    try:
        llama_cpp.llama_memory_clear(memory, True)
        for prefix in prefixes:
            if prefix > held:
                _decode(llama_cpp, ctx, tokens[held:prefix], held, n_vocab)
            batched = _decode(llama_cpp, ctx, tokens[prefix : prefix + BATCH], prefix, n_vocab)
            if not llama_cpp.llama_memory_seq_rm(memory, -1, prefix, -1):
                return False  # a recurrent model cannot step back
            for offset, token in enumerate(tokens[prefix : prefix + BATCH]):
                (alone,) = _decode(llama_cpp, ctx, [token], prefix + offset, n_vocab)
                if not np.array_equal(alone, batched[offset]):
                    return False
            held = prefix + BATCH
    except RuntimeError:
        return False
    finally:
        llama_cpp.llama_memory_clear(memory, True)
        llm.n_tokens = 0
    return True


def _decode(
    llama_cpp: Any, ctx: Any, tokens: list[int], start: int, n_vocab: int
) -> list[np.ndarray]:
    """Decodes ``tokens`` at positions from ``start`` in one batch; each position's logits."""
    batch = llama_cpp.llama_batch_init(len(tokens), 0, 1)
    try:
        batch.n_tokens = len(tokens)
        for index, token in enumerate(tokens):
            batch.token[index] = token
            batch.pos[index] = start + index
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = 0
            batch.logits[index] = 1
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        rows = []
        for index in range(len(tokens)):
            pointer = llama_cpp.llama_get_logits_ith(ctx, index)
            row = np.ctypeslib.as_array(
                ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,)
            )
            rows.append(row.copy())
        return rows
    finally:
        llama_cpp.llama_batch_free(batch)
