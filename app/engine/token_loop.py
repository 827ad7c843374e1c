"""The lean token loop: prompt evaluation and one-token decodes through llama.cpp's C API.

Owns the model's KV cache between requests. What the cache holds is mirrored in the
library ``Llama`` object's ``input_ids`` / ``n_tokens`` (so anything else reading them
sees the truth). A request's prompt is evaluated past the prefix the cache already
holds, in batches of ``n_batch`` with llama.cpp's abort callback set so Stop ends even a
long prompt at once; then each reply token is sampled by the native sampler chain and
decoded as a one-token batch whose positions llama.cpp assigns itself. Per token the
loop does a sample call, a decode call and a few stores; the time inside each is summed
in ``LoopTimings`` so the time spent elsewhere (the caller's work) can be reported.

With a drafter (speculative decoding: ``app.engine.ngram_draft``, ``draft_model``), each
step decodes the last token and the draft's guesses in one batch with logits at every
position, samples with the same chain at each position in order, keeps the drafts while
they equal what was sampled and the first sample that differs, and removes the rest
from the cache. Sampling is the same calls in the same order as without a draft, so the
reply is the same token for token (at temperature 0, and with a seed) wherever llama.cpp
gives a position the same logits in a batch as alone. Not every load does (on the CPU,
attention without flash attention and repacked weights go through other kernels for a
batch, which round differently); the host checks at load (``app.engine.exact_drafts``)
and makes greedy replies without drafts where it does not hold. A ``DraftGate`` times
the steps and pauses drafting while steps with a draft cost more per token than steps
without (a small model on a CPU).
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.engine.draft_gate import DraftGate
from app.engine.prompt_chunks import prompt_chunks

# The most draft tokens verified in one batch.
MAX_DRAFT = 16


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
    # Speculative decoding: draft tokens proposed, and how many of them were kept.
    drafted: int = 0
    accepted: int = 0
    draft_s: float = 0.0


class Drafter(Protocol):
    """Guesses the tokens that follow a history (speculative decoding's draft)."""

    def propose(self, history: np.ndarray, count: int, limit: int) -> Sequence[int]:
        """Up to ``limit`` tokens likely to follow ``history[:count]``."""


class TokenLoop:
    """One model context's generation: evaluate a prompt, then sample and decode."""

    def __init__(self, llm: Any, *, gated: bool = True) -> None:
        """``gated``: drafts only while they measure faster (``app.engine.draft_gate``)."""
        import llama_cpp

        self._llama = llama_cpp
        self._llm = llm
        self._ctx = llm._ctx.ctx
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self.n_ctx = int(llm.n_ctx())
        self._n_batch = max(1, int(llm.n_batch))
        self._one = (llama_cpp.llama_token * 1)()
        self._one_batch = _token_batch(llama_cpp, self._one, 1)
        self._draft = (llama_cpp.llama_token * (MAX_DRAFT + 1))()
        self._draft_logits = (ctypes.c_int8 * (MAX_DRAFT + 1))(*([1] * (MAX_DRAFT + 1)))
        self._draft_batch = _token_batch(llama_cpp, self._draft, 1)
        self._draft_batch.logits = ctypes.cast(self._draft_logits, ctypes.POINTER(ctypes.c_int8))
        # Tokens a speculative step kept in the cache that the caller has not been given.
        self._ahead = 0
        self.gate = DraftGate() if gated else None
        self.timings = LoopTimings()
        # Seconds the last prompt's evaluation spent inside llama_decode.
        self.prompt_decode_s = 0.0

    @property
    def n_tokens(self) -> int:
        """How many tokens the KV cache holds (of those the caller has been given)."""
        return int(self._llm.n_tokens) - self._ahead

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
        self.prompt_decode_s = 0.0
        clock = time.perf_counter
        callback = llama.ggml_abort_callback(lambda _data: bool(cancelled()))
        llama.llama_set_abort_callback(self._ctx, callback, None)
        try:
            n_ubatch = int(llama.llama_n_ubatch(self._ctx))
            for start, end in prompt_chunks(keep, len(tokens), self._n_batch, n_ubatch):
                chunk = tokens[start:end]
                array = (llama.llama_token * len(chunk))(*chunk)
                batch = _token_batch(llama, array, len(chunk))
                before = clock()
                code = llama.llama_decode(self._ctx, batch)
                self.prompt_decode_s += clock() - before
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

    def extend(self, tokens: Sequence[int]) -> None:
        """Decodes ``tokens`` after what the cache holds (the last one gives logits)."""
        llama = self._llama
        llm = self._llm
        start = int(llm.n_tokens)
        array = (llama.llama_token * len(tokens))(*tokens)
        code = llama.llama_decode(self._ctx, _token_batch(llama, array, len(tokens)))
        if code != 0:
            raise DecodeError(f"llama_decode returned {code}")
        llm.input_ids[start : start + len(tokens)] = tokens
        llm.n_tokens = start + len(tokens)

    def tokens(self, chain: Any, drafter: Drafter | None = None) -> Generator[int, None, None]:
        """Samples a token, yields it, decodes it, and again, for as long as the caller
        iterates. A token the caller stops at is not decoded (the cache never holds it).

        With a ``drafter``, tokens come from speculative steps; what the caller is given
        and what the cache holds when it stops are the same as without one.
        """
        if drafter is not None:
            return self._speculative(chain, drafter)
        return self._plain(chain)

    def _plain(self, chain: Any) -> Generator[int, None, None]:
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

    def _speculative(self, chain: Any, drafter: Drafter) -> Generator[int, None, None]:
        llama = self._llama
        sample = llama.llama_sampler_sample
        decode = llama.llama_decode
        clock = time.perf_counter
        ctx = self._ctx
        array = self._draft
        batch = self._draft_batch
        llm = self._llm
        ids = llm.input_ids
        last = self.n_ctx - 1
        gate = self.gate
        timings = self.timings = LoopTimings(started=clock())
        before = clock()
        pending = sample(chain, ctx, -1)
        timings.sample_s += clock() - before
        timings.sampled += 1
        self._ahead = 0
        try:
            yield pending
            while True:
                base = int(llm.n_tokens)  # the pending token goes at this position
                ids[base] = pending
                step_began = before = clock()
                room = min(MAX_DRAFT, last - base)
                if room > 0 and (gate is None or gate.wants_draft()):
                    draft = drafter.propose(ids, base + 1, room)
                else:
                    draft = ()
                timings.draft_s += clock() - before
                size = len(draft)
                array[0] = pending
                for index, guess in enumerate(draft, 1):
                    array[index] = guess
                batch.n_tokens = size + 1
                before = clock()
                code = decode(ctx, batch)
                timings.decode_s += clock() - before
                if code != 0:
                    raise DecodeError(f"llama_decode returned {code}")
                kept: list[int] = []
                before = clock()
                for index in range(size + 1):
                    token = sample(chain, ctx, index)
                    kept.append(token)
                    if index == size or token != draft[index]:
                        break
                ended = clock()
                timings.sample_s += ended - before
                if gate is not None:
                    gate.record(size > 0, ended - step_began, len(kept))
                accepted = len(kept) - 1
                timings.sampled += len(kept)
                timings.decoded += len(kept)
                timings.drafted += size
                timings.accepted += accepted
                if accepted < size:  # the guesses after the first miss leave the cache
                    llama.llama_memory_seq_rm(self._memory, -1, base + 1 + accepted, -1)
                ids[base + 1 : base + 1 + accepted] = kept[:accepted]
                llm.n_tokens = base + 1 + accepted
                for index, token in enumerate(kept):
                    self._ahead = accepted - index
                    yield token
                pending = kept[-1]
        finally:
            if self._ahead:  # the caller stopped inside a step: as if it had gone singly
                llm.n_tokens = int(llm.n_tokens) - self._ahead
                llama.llama_memory_seq_rm(self._memory, -1, llm.n_tokens, -1)
                self._ahead = 0


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
