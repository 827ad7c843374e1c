"""The lean token loop: prompt evaluation and one-token decodes through llama.cpp's C API.

Owns the model's KV cache between requests. What the cache holds is mirrored in the
library ``Llama`` object's ``input_ids`` / ``n_tokens`` (so anything else reading them
sees the truth). A request's prompt is evaluated past the prefix the cache already
holds, in batches of ``n_batch`` with llama.cpp's abort callback set so Stop ends even a
long prompt at once; then each reply token is sampled by the native sampler chain and
decoded as a one-token batch whose positions llama.cpp assigns itself. Per token the
loop does a sample call, a decode call and a few stores; the time inside each is summed
in ``LoopTimings`` so the time spent elsewhere (the caller's work) can be reported.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class DecodeError(RuntimeError):
    """llama.cpp could not decode a batch (no room in the KV cache, or a backend failure)."""


@dataclass
class LoopTimings:
    """Where a reply's time went: seconds inside llama_decode and inside the sampler chain,
    counted from the first token sampled (the prompt's own decode is not in them)."""

    decode_s: float = 0.0
    sample_s: float = 0.0
    sampled: int = 0
    decoded: int = 0
    started: float = 0.0


class TokenLoop:
    """One model context's generation: evaluate a prompt, then sample and decode."""

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        self._llama = llama_cpp
        self._llm = llm
        self._ctx = llm._ctx.ctx
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self.n_ctx = int(llm.n_ctx())
        self._n_batch = max(1, int(llm.n_batch))
        self._one = (llama_cpp.llama_token * 1)()
        self._one_batch = _token_batch(llama_cpp, self._one, 1)
        self.timings = LoopTimings()

    @property
    def n_tokens(self) -> int:
        """How many tokens the KV cache holds."""
        return int(self._llm.n_tokens)

    def cached_prefix(self, tokens: Sequence[int]) -> int:
        """How many leading tokens of ``tokens`` the KV cache already holds."""
        cached = self.n_tokens
        if cached == 0 or not tokens:
            return 0
        size = min(cached, len(tokens))
        held = self._llm.input_ids[:size]
        differ = np.flatnonzero(held != np.asarray(tokens[:size], dtype=held.dtype))
        return int(differ[0]) if differ.size else size

    def evaluate_prompt(self, tokens: Sequence[int], cancelled: Callable[[], bool]) -> bool:
        """Evaluates the prompt past what the cache holds; False if Stop ended it.

        At least the last prompt token is evaluated again: its logits start the reply.
        llama.cpp's abort callback is set only for this decode (it is called for every
        graph node), so a prompt that takes minutes still stops at once.
        """
        llama = self._llama
        llm = self._llm
        self.timings = LoopTimings()  # a reply stopped here has no token timings
        keep = min(self.cached_prefix(tokens), len(tokens) - 1)
        if not llama.llama_memory_seq_rm(self._memory, -1, keep, -1):
            llama.llama_memory_clear(self._memory, True)  # a recurrent model: start over
            keep = 0
        llm.n_tokens = keep
        callback = llama.ggml_abort_callback(lambda _data: bool(cancelled()))
        llama.llama_set_abort_callback(self._ctx, callback, None)
        try:
            for start in range(keep, len(tokens), self._n_batch):
                chunk = tokens[start : start + self._n_batch]
                array = (llama.llama_token * len(chunk))(*chunk)
                code = llama.llama_decode(self._ctx, _token_batch(llama, array, len(chunk)))
                if code != 0:
                    if cancelled():
                        # An aborted batch may leave some of its entries behind: drop them.
                        llama.llama_memory_seq_rm(self._memory, -1, llm.n_tokens, -1)
                        return False
                    raise DecodeError(f"llama_decode returned {code}")
                llm.input_ids[start : start + len(chunk)] = chunk
                llm.n_tokens = start + len(chunk)
        finally:
            llama.llama_set_abort_callback(self._ctx, llama.ggml_abort_callback(), None)
        return True

    def tokens(self, chain: Any) -> Generator[int, None, None]:
        """Samples a token, yields it, decodes it, and again, for as long as the caller
        iterates. A token the caller stops at is not decoded (the cache never holds it)."""
        llama = self._llama
        sample = llama.llama_sampler_sample
        decode = llama.llama_decode
        clock = time.perf_counter
        ctx = self._ctx
        one = self._one
        batch = self._one_batch
        llm = self._llm
        ids = llm.input_ids
        timings = self.timings = LoopTimings(started=clock())
        while True:
            before = clock()
            token = sample(chain, ctx, -1)
            timings.sample_s += clock() - before
            timings.sampled += 1
            yield token
            one[0] = token
            before = clock()
            code = decode(ctx, batch)
            timings.decode_s += clock() - before
            if code != 0:
                raise DecodeError(f"llama_decode returned {code}")
            timings.decoded += 1
            position = llm.n_tokens
            ids[position] = token
            llm.n_tokens = position + 1


def _token_batch(llama_cpp: Any, tokens: Any, count: int) -> Any:
    """A batch of sequence 0 whose positions follow the cache and whose last token alone
    gives logits (llama.cpp fills in what the batch leaves null)."""
    batch = llama_cpp.llama_batch()
    batch.n_tokens = count
    batch.token = ctypes.cast(tokens, ctypes.POINTER(llama_cpp.llama_token))
    return batch


def tokenize(vocab: Any, data: bytes, *, add_bos: bool, special: bool) -> list[int]:
    """The text's tokens, into a buffer sized from the text (the library's own tokenize
    allocates room for the model's whole training context on every call)."""
    import llama_cpp

    room = len(data) + 8
    buffer = (llama_cpp.llama_token * room)()
    count = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, room, add_bos, special)
    if count < 0:  # never for a byte-level vocabulary; grow once to the size asked for
        room = -count
        buffer = (llama_cpp.llama_token * room)()
        count = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, room, add_bos, special)
        if count < 0:
            raise RuntimeError("llama.cpp could not tokenize the prompt")
    return buffer[:count]
