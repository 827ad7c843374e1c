"""A draft model: a second, small model in the host that guesses the target's next tokens.

Owns the draft's ``Llama`` (its own context and KV cache) and its greedy sampler. Each
step brings the draft's cache to the target's history (what it already holds is kept,
llama.cpp-style: only the tokens past the common prefix are evaluated), then samples
greedily and decodes one token at a time until it has the draft, it samples an
end-of-generation token, or it is no longer sure (its top token's probability below
``min_p``). The target verifies the guesses (``TokenLoop``); the draft never changes
what the reply says, only how fast it comes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.engine.token_loop import TokenLoop


class DraftModel:
    """Drafts with a small model sharing the target's vocabulary."""

    def __init__(self, llm: Any, *, max_draft: int = 8, min_p: float = 0.5) -> None:
        import llama_cpp

        self._llama = llama_cpp
        self.llm = llm
        self._loop = TokenLoop(llm)
        self._ctx = llm._ctx.ctx
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._n_vocab = int(llm.n_vocab())
        self.max_draft = max_draft
        self.min_p = min_p
        params = llama_cpp.llama_sampler_chain_default_params()
        params.no_perf = True
        self._greedy = llama_cpp.llama_sampler_chain_init(params)
        llama_cpp.llama_sampler_chain_add(self._greedy, llama_cpp.llama_sampler_init_greedy())
        # Set by the host for each request, so Stop ends the draft's prompt at once.
        self.cancelled: Callable[[], bool] = lambda: False

    def propose(self, history: np.ndarray, count: int, limit: int) -> Sequence[int]:
        """Up to ``limit`` tokens the draft model expects after ``history[:count]``."""
        limit = min(limit, self.max_draft, self._loop.n_ctx - count)
        if limit <= 0:
            return ()
        llama = self._llama
        loop = self._loop
        if not loop.evaluate_prompt(history[:count].tolist(), self.cancelled):
            return ()
        draft: list[int] = []
        while True:
            token = int(llama.llama_sampler_sample(self._greedy, self._ctx, -1))
            if llama.llama_vocab_is_eog(self._vocab, token) or not self._sure(token):
                break
            draft.append(token)
            if len(draft) >= limit:
                break
            loop.extend((token,))
        return draft

    def _sure(self, token: int) -> bool:
        """Whether the draft's probability for ``token`` (its top one) reaches min_p."""
        if self.min_p <= 0.0:
            return True
        pointer = self._llama.llama_get_logits_ith(self._ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        top = logits[token]
        return bool(1.0 / np.exp(logits - top).sum() >= self.min_p)

    def close(self) -> None:
        if self._greedy:
            self._llama.llama_sampler_free(self._greedy)
            self._greedy = None
        self.llm.close()
