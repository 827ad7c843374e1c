"""Whether a draft model shares the target's vocabulary (speculative decoding's pairing).

A draft's guesses are token ids; they mean the same text to the target only when both
models have the same tokenizer. Checked as llama.cpp does before pairing: the same kind
of vocabulary, token counts within a small margin (padding rows differ), the same
start and end tokens and whether a start token is added, and the same text for a
sample of tokens across the shared range.
"""

from __future__ import annotations

from typing import Any

# llama.cpp's own margin: the same tokenizer's embedding tables may be padded apart.
MAX_SIZE_DIFFERENCE = 128
# Tokens compared by text, spread evenly over the ids both vocabularies have.
TEXT_SAMPLE = 512
_VOCAB_KINDS = {0: "none", 1: "SentencePiece", 2: "BPE", 3: "WordPiece", 4: "Unigram", 5: "RWKV"}


def vocab_mismatch(target: Any, draft: Any) -> str | None:
    """Why ``draft`` cannot draft for ``target`` (two loaded ``Llama``s), or None."""
    import llama_cpp

    mine = llama_cpp.llama_model_get_vocab(target.model)
    theirs = llama_cpp.llama_model_get_vocab(draft.model)
    kind_a = int(llama_cpp.llama_vocab_type(mine))
    kind_b = int(llama_cpp.llama_vocab_type(theirs))
    if kind_a != kind_b:
        return (
            f"its tokenizer is {_VOCAB_KINDS.get(kind_b, kind_b)}, the model's is"
            f" {_VOCAB_KINDS.get(kind_a, kind_a)}"
        )
    size_a = int(llama_cpp.llama_vocab_n_tokens(mine))
    size_b = int(llama_cpp.llama_vocab_n_tokens(theirs))
    if abs(size_a - size_b) > MAX_SIZE_DIFFERENCE:
        return f"it has {size_b:,} tokens, the model {size_a:,}"
    for what, read in (
        ("start token", llama_cpp.llama_vocab_bos),
        ("end token", llama_cpp.llama_vocab_eos),
        ("adds a start token", llama_cpp.llama_vocab_get_add_bos),
    ):
        if read(mine) != read(theirs):
            return f"its {what} differs from the model's"
    shared = min(size_a, size_b)
    step = max(1, shared // TEXT_SAMPLE)
    for token in range(0, shared, step):
        if _text(llama_cpp, mine, token) != _text(llama_cpp, theirs, token):
            return f"token {token} is {_text(llama_cpp, theirs, token)!r} in it, not" + (
                f" {_text(llama_cpp, mine, token)!r}"
            )
    return None


def _text(llama_cpp: Any, vocab: Any, token: int) -> bytes:
    return bytes(llama_cpp.llama_vocab_get_text(vocab, token) or b"")
