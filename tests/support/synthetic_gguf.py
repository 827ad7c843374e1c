"""Writes Llama-architecture GGUF models of any size, with random Q4_0 weights.

Three uses: benchmarks need 7B- and 70B-shaped models that llama.cpp really runs;
switching tests need a model of a few hundred MB that takes a moment to load; fit
tests need a model whose header claims hundreds of GB. For the last, ``sparse=True``
writes only the header and extends the file with ``truncate()``: the file has its
full length (so the header reader does not call it truncated) and costs no disk.

The 2-D weights are Q4_0 (the layout of a ``Q4_0`` GGUF: blocks of 32 weights, one
f16 scale and 16 bytes of 4-bit values), the norms f32. Random blocks are made once
and written over and over, so writing runs at the disk's speed. Their scale keeps
activations of the order of 1 through every layer, so the model computes numbers,
not infinities, and generation costs what a real model of that shape costs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, TokenType

from tests.support.tiny_gguf import add_llama_tokenizer

Q4_0_BLOCK_WEIGHTS = 32
Q4_0_BLOCK_BYTES = 18
ALIGNMENT = 32
# Random blocks made once per file and repeated: 4 MiB worth.
POOL_BLOCKS = (4 << 20) // Q4_0_BLOCK_BYTES
WRITE_CHUNK_BYTES = 16 << 20


@dataclass(frozen=True)
class LlamaShape:
    """The hyper-parameters that decide a Llama model's size and speed."""

    n_embd: int
    n_layers: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_vocab: int = 32_000
    n_ctx_train: int = 4096
    size_label: str = ""

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def tensors(self) -> list[tuple[str, tuple[int, ...], bool]]:
        """(name, numpy shape (rows, columns), quantized) for every tensor, in file order."""
        kv = self.n_head_kv * self.head_dim
        out: list[tuple[str, tuple[int, ...], bool]] = [
            ("token_embd.weight", (self.n_vocab, self.n_embd), True),
            ("output_norm.weight", (self.n_embd,), False),
            ("output.weight", (self.n_vocab, self.n_embd), True),
        ]
        for layer in range(self.n_layers):
            p = f"blk.{layer}"
            out += [
                (f"{p}.attn_norm.weight", (self.n_embd,), False),
                (f"{p}.attn_q.weight", (self.n_embd, self.n_embd), True),
                (f"{p}.attn_k.weight", (kv, self.n_embd), True),
                (f"{p}.attn_v.weight", (kv, self.n_embd), True),
                (f"{p}.attn_output.weight", (self.n_embd, self.n_embd), True),
                (f"{p}.ffn_norm.weight", (self.n_embd,), False),
                (f"{p}.ffn_gate.weight", (self.n_ff, self.n_embd), True),
                (f"{p}.ffn_up.weight", (self.n_ff, self.n_embd), True),
                (f"{p}.ffn_down.weight", (self.n_embd, self.n_ff), True),
            ]
        return out

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(shape)) for _, shape, _ in self.tensors())

    @property
    def file_bytes_estimate(self) -> int:
        """About the size of the file (weights only; the header adds well under 1 MB)."""
        total = 0
        for _, shape, quantized in self.tensors():
            total += _tensor_bytes(shape, quantized)
        return total


# Llama 2's shapes (7B: full multi-head attention; 70B: 8 KV heads).
LLAMA_7B = LlamaShape(
    n_embd=4096, n_layers=32, n_head=32, n_head_kv=32, n_ff=11008, size_label="7B"
)
LLAMA_70B = LlamaShape(
    n_embd=8192, n_layers=80, n_head=64, n_head_kv=8, n_ff=28672, size_label="70B"
)
# About 300 MB: long enough to load that a person (or a test) can cancel it.
LLAMA_300M = LlamaShape(
    n_embd=2048, n_layers=8, n_head=16, n_head_kv=16, n_ff=5632, size_label="0.5B"
)
SHAPES = {"7b": LLAMA_7B, "70b": LLAMA_70B, "300m": LLAMA_300M}


def _tensor_bytes(shape: tuple[int, ...], quantized: bool) -> int:
    elements = int(np.prod(shape))
    if quantized:
        return elements // Q4_0_BLOCK_WEIGHTS * Q4_0_BLOCK_BYTES
    return elements * 4


def _pad(n: int) -> int:
    return -(-n // ALIGNMENT) * ALIGNMENT


def _vocabulary(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    """A SentencePiece-style vocabulary: controls, the 256 bytes, then made-up words.

    The words are ``▁w<number>``, with ``▁``, ``w``, the digits and ``▁w`` as pieces, so
    that llama.cpp's SentencePiece merges rebuild each word from its characters: a
    reply detokenized and tokenized again (the next turn's prompt) gives the same
    tokens, as with a real model, and the KV cache is reused across turns.
    """
    tokens = ["<unk>", "<s>", "</s>"]
    types = [int(TokenType.UNKNOWN), int(TokenType.CONTROL), int(TokenType.CONTROL)]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [int(TokenType.BYTE)] * 256
    pieces = ["▁", "w", *"0123456789", "▁w"]
    words = [f"▁w{index}" for index in range(max(0, n_vocab - len(tokens) - len(pieces)))]
    for piece in pieces + words:
        tokens.append(piece)
        types.append(int(TokenType.NORMAL))
    scores = [0.0] * 3 + [-1000.0] * 256 + [-float(i) for i in range(len(tokens) - 259)]
    return tokens[:n_vocab], scores[:n_vocab], types[:n_vocab]


def _block_pool(rng: np.random.Generator, n_in: int) -> bytes:
    """Random Q4_0 blocks whose weights have a standard deviation of about 1/sqrt(n_in)."""
    # 4-bit values 0..15 stand for -8..7 (std ≈ 4.6); the scale brings that to 1/sqrt(n_in).
    scale = np.float16(1.0 / (4.6 * np.sqrt(n_in)))
    blocks = np.empty((POOL_BLOCKS, Q4_0_BLOCK_BYTES), dtype=np.uint8)
    blocks[:, :2] = np.frombuffer(scale.tobytes(), dtype=np.uint8)
    blocks[:, 2:] = rng.integers(0, 256, size=(POOL_BLOCKS, 16), dtype=np.uint8)
    return blocks.tobytes()


def _repeat(pool: bytes, count: int, start: int) -> Iterator[bytes]:
    """``count`` bytes taken from ``pool`` round and round, from a whole block at ``start``."""
    position = start % len(pool)
    while count > 0:
        piece = pool[position : position + min(count, WRITE_CHUNK_BYTES)]
        yield piece
        count -= len(piece)
        position = (position + len(piece)) % len(pool)


def write_synthetic_llama(
    path: Path,
    shape: LlamaShape,
    *,
    name: str = "Synthetic Llama",
    sparse: bool = False,
    seed: int = 0,
    chat_template: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Writes the model; ``sparse`` writes the header only and extends the file with zeros.

    ``on_progress(bytes_written, total_bytes)`` is called as weights are written.
    """
    tokens, scores, types = _vocabulary(shape.n_vocab)
    writer = GGUFWriter(str(path), "llama")
    writer.add_name(name)
    if shape.size_label:
        writer.add_size_label(shape.size_label)
    writer.add_file_type(2)  # MOSTLY_Q4_0
    writer.add_context_length(shape.n_ctx_train)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layers)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_vocab_size(shape.n_vocab)
    add_llama_tokenizer(writer, tokens, scores, types, chat_template)
    tensors = shape.tensors()
    for tensor_name, tensor_shape, quantized in tensors:
        nbytes = _tensor_bytes(tensor_shape, quantized)
        raw = GGMLQuantizationType.Q4_0 if quantized else GGMLQuantizationType.F32
        writer.add_tensor_info(tensor_name, tensor_shape, np.dtype(np.float32), nbytes, raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()

    total = sum(_pad(_tensor_bytes(s, q)) for _, s, q in tensors)
    with open(path, "r+b") as out:
        out.seek(0, os.SEEK_END)
        data_offset = _pad(out.tell())
        if sparse:
            out.truncate(data_offset + total)
            return path
        out.write(b"\0" * (data_offset - out.tell()))
        _write_weights(out, shape, tensors, total, seed, on_progress)
    return path


def _write_weights(
    out,  # type: ignore[no-untyped-def]
    shape: LlamaShape,
    tensors: list[tuple[str, tuple[int, ...], bool]],
    total: int,
    seed: int,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    rng = np.random.default_rng(seed)
    pools = {n_in: _block_pool(rng, n_in) for n_in in {shape.n_embd, shape.n_ff}}
    written = 0
    for index, (_, tensor_shape, quantized) in enumerate(tensors):
        nbytes = _tensor_bytes(tensor_shape, quantized)
        if quantized:
            pool = pools[tensor_shape[-1]]
            start = (index * 7919 % POOL_BLOCKS) * Q4_0_BLOCK_BYTES  # vary where each starts
            for piece in _repeat(pool, nbytes, start):
                out.write(piece)
        else:
            out.write(np.ones(tensor_shape, dtype=np.float32).tobytes())
        out.write(b"\0" * (_pad(nbytes) - nbytes))
        written += _pad(nbytes)
        if on_progress:
            on_progress(written, total)


def scaled(shape: LlamaShape, **changes: int | str) -> LlamaShape:
    """``shape`` with some hyper-parameters changed (e.g. fewer layers for a quick run)."""
    return replace(shape, **changes)  # type: ignore[arg-type]
