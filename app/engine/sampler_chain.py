"""llama.cpp's native sampler chain for one reply.

Owns the chain's native object from building to freeing. The order is the one the
library's ``Llama.generate`` used before, so a reply at temperature 0 (and one with a
seed) is the same token for token: repetition penalties over the last 64 tokens, the
grammar when one is set (strict, or lazy: waiting for a tool call's trigger), then
greedy at temperature 0, else top-k, top-p, min-p, temperature and a seeded draw.
Sampling accepts the drawn token into every stage (penalties, grammar) inside llama.cpp.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.protocol import SamplingParams

# The library's default window for repetition penalties (Llama's last_n_tokens_size).
PENALTY_LAST_N = 64
# llama.cpp's LLAMA_DEFAULT_SEED: a fresh random seed for every reply.
RANDOM_SEED = 0xFFFFFFFF


class GrammarError(ValueError):
    """The grammar a request gave could not be parsed."""


@dataclass(frozen=True)
class LazyGrammar:
    """A grammar that applies only once the output matches a trigger.

    patterns: regular expressions (llama.cpp matches them against the whole output so
    far; the grammar then applies from the first group, or the match, on).
    tokens: special tokens that trigger it as soon as they are sampled.
    """

    source: str
    patterns: tuple[str, ...] = ()
    tokens: tuple[int, ...] = field(default_factory=tuple)


class SamplerChain:
    """One reply's native sampler chain; free it with :meth:`close` (or ``with``)."""

    def __init__(
        self,
        vocab: Any,
        n_vocab: int,
        sampling: SamplingParams,
        grammar: str | None = None,
        lazy_grammar: LazyGrammar | None = None,
    ) -> None:
        import llama_cpp

        self._llama = llama_cpp
        self.seed = RANDOM_SEED if sampling.seed is None else sampling.seed & 0xFFFFFFFF
        params = llama_cpp.llama_sampler_chain_default_params()
        params.no_perf = True
        self.pointer = llama_cpp.llama_sampler_chain_init(params)
        try:
            self._add(
                llama_cpp.llama_sampler_init_penalties(
                    n_vocab, PENALTY_LAST_N, sampling.repeat_penalty, 0.0, 0.0
                )
            )
            if grammar:
                self._add(_strict_grammar(llama_cpp, vocab, grammar))
            elif lazy_grammar is not None:
                # A call grammar that does not parse only loses the constraint: the
                # reply's calls are still read, and a botched one is answered.
                lazy = _lazy_grammar(llama_cpp, vocab, lazy_grammar)
                if lazy:
                    self._add(lazy)
            self._add_draw(llama_cpp, sampling)
        except BaseException:
            self.close()
            raise

    def _add(self, sampler: Any) -> None:
        self._llama.llama_sampler_chain_add(self.pointer, sampler)

    def _add_draw(self, llama_cpp: Any, sampling: SamplingParams) -> None:
        temperature = sampling.temperature
        if temperature == 0.0:
            self._add(llama_cpp.llama_sampler_init_greedy())
            return
        if temperature > 0.0:
            self._add(llama_cpp.llama_sampler_init_top_k(sampling.top_k))
            self._add(llama_cpp.llama_sampler_init_typical(1.0, 1))
            self._add(llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
            self._add(llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
            self._add(llama_cpp.llama_sampler_init_temp(temperature))
        self._add(llama_cpp.llama_sampler_init_dist(self.seed))

    def accept(self, tokens: Sequence[int]) -> None:
        """Tells the chain about tokens it did not sample (a prefilled start)."""
        for token in tokens:
            self._llama.llama_sampler_accept(self.pointer, token)

    def close(self) -> None:
        if self.pointer:
            self._llama.llama_sampler_free(self.pointer)
            self.pointer = None

    def __enter__(self) -> SamplerChain:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def check_grammar(vocab: Any, source: str) -> None:
    """Raises GrammarError if llama.cpp cannot parse the grammar."""
    import llama_cpp

    llama_cpp.llama_sampler_free(_strict_grammar(llama_cpp, vocab, source))


def _strict_grammar(llama_cpp: Any, vocab: Any, source: str) -> Any:
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, source.encode("utf-8"), b"root")
    if not sampler:  # a null sampler in the chain would crash the host
        raise GrammarError(
            "the output grammar could not be read (see the model settings' grammar;"
            " llama.cpp's log has the line it stopped at)"
        )
    return sampler


def _lazy_grammar(llama_cpp: Any, vocab: Any, lazy: LazyGrammar) -> Any:
    patterns = (ctypes.c_char_p * max(1, len(lazy.patterns)))(
        *(pattern.encode("utf-8") for pattern in lazy.patterns)
    )
    tokens = (llama_cpp.llama_token * max(1, len(lazy.tokens)))(*lazy.tokens)
    return llama_cpp.llama_sampler_init_grammar_lazy_patterns(
        vocab,
        lazy.source.encode("utf-8"),
        b"root",
        patterns,
        len(lazy.patterns),
        tokens,
        len(lazy.tokens),
    )
