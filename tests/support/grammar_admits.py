"""Checking a grammar with llama.cpp itself, on the starter model's vocabulary.

``vocab_model``: the starter model's vocabulary alone (no weights), once per test module;
:func:`admits`: whether llama.cpp's grammar sampler lets a model write exactly a text.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest


@pytest.fixture(scope="module")
def vocab_model(starter_model: Path) -> Iterator[Any]:
    llm = llama_cpp.Llama(model_path=str(starter_model), vocab_only=True, verbose=False)
    yield llm
    llm.close()


def admits(llm: Any, grammar: str, text: str) -> bool:
    """Whether llama.cpp's grammar sampler lets the model write exactly this text: every
    token of it allowed in turn, and then the end of the reply."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    assert sampler, "llama.cpp could not parse the grammar"
    try:
        tokens = list(llm.tokenize(text.encode(), add_bos=False, special=True))
        for token in [*tokens, llm.token_eos()]:
            candidates = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0, 0))
            array = llama_cpp.llama_token_data_array(candidates, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
            if math.isinf(candidates[0].logit):
                return False
            if token != llm.token_eos():
                llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)
