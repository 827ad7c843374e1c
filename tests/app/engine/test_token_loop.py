"""The lean token loop against the library's own generation, on the real starter model:
the same tokens at temperature 0 and with a seed, UTF-8 split across tokens decoded
whole, stop strings cut exactly where they start, Stop between tokens, and the loop's
own timings reported in the stats."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from app.engine.detokenizer import PieceCache, TextDecoder
from app.engine.engine import Engine
from app.engine.protocol import SamplingParams
from app.engine.sampler_chain import SamplerChain
from app.engine.token_loop import TokenLoop

PROMPT = (
    b"<|im_start|>user\nWrite a short story about a lighthouse keeper.<|im_end|>\n"
    b"<|im_start|>assistant\n"
)
TOKENS = 48


@pytest.fixture(scope="module")
def models(starter_model: Path) -> Iterator[tuple[Any, Any]]:
    """Two copies of the starter: one for the library's loop, one for ours."""
    pair = tuple(
        llama_cpp.Llama(model_path=str(starter_model), n_ctx=512, n_threads=1, verbose=False)
        for _ in range(2)
    )
    yield pair  # type: ignore[misc]
    for llm in pair:
        llm.close()


def library_tokens(llm: Any, prompt: list[int], sampling: SamplingParams) -> list[int]:
    llm.reset()
    if sampling.seed is not None:
        llm.set_seed(sampling.seed)
    out: list[int] = []
    for token in llm.generate(
        prompt,
        top_k=sampling.top_k,
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        temp=sampling.temperature,
        repeat_penalty=sampling.repeat_penalty,
    ):
        out.append(token)
        if len(out) == TOKENS:
            break
    return out


def loop_tokens(llm: Any, prompt: list[int], sampling: SamplingParams) -> list[int]:
    loop = TokenLoop(llm)
    assert loop.evaluate_prompt(prompt, lambda: False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    out: list[int] = []
    with SamplerChain(vocab, llm.n_vocab(), sampling) as chain:
        replies = loop.tokens(chain.pointer)
        for token in replies:
            out.append(token)
            if len(out) == TOKENS:
                break
        replies.close()
    assert loop.timings.sampled == TOKENS and loop.timings.decoded == TOKENS - 1
    return out


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingParams(temperature=0.0),  # greedy, with the default repetition penalty
        SamplingParams(temperature=0.0, repeat_penalty=1.0),
        SamplingParams(temperature=0.9, seed=1234),
    ],
    ids=["greedy", "greedy-no-penalty", "seeded"],
)
def test_the_loop_gives_the_librarys_tokens(models: tuple[Any, Any], sampling: SamplingParams):
    library, ours = models
    prompt = library.tokenize(PROMPT, add_bos=False, special=True)
    expected = library_tokens(library, prompt, sampling)
    assert loop_tokens(ours, prompt, sampling) == expected
    # Again, with the prompt already in the KV cache (only its last token is evaluated).
    assert loop_tokens(ours, prompt, sampling) == expected


def test_utf8_split_across_tokens_comes_out_whole(models: tuple[Any, Any]):
    llm = models[1]
    text = "Crème brûlée, 日本語, emoji 🦊🔥 and ∑ symbols."
    tokens = llm.tokenize(text.encode(), add_bos=False, special=False)
    pieces = PieceCache(llama_cpp.llama_model_get_vocab(llm.model), ())
    entries = [pieces.entry(token, False)[0] for token in tokens]
    assert any(_cut_character(piece) for piece in entries), "no token splits a character"
    decoder = TextDecoder()
    shown = [decoder.decode(piece) for piece in entries] + [decoder.finish()]
    assert "".join(shown) == text
    assert all("\ufffd" not in part for part in shown)


def _cut_character(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


COUNT = [{"role": "user", "content": "Write the numbers from 1 to 30 in words, one per line."}]
GREEDY = SamplingParams(temperature=0.0, max_tokens=120, repeat_penalty=1.0)


def test_a_stop_string_cuts_the_reply_exactly_where_it_starts(loaded: Engine):
    free: list[str] = []
    loaded.generate(COUNT, GREEDY, free.append)
    text = "".join(free)
    # A stop string from the middle of the reply, spanning a token boundary.
    middle = len(text) // 2
    stop = text[middle : middle + 7]
    assert len(stop.strip()) > 2, text
    cut: list[str] = []
    stats = loaded.generate(COUNT, GREEDY, cut.append, stop=(stop,))
    assert stats.finish_reason == "stop"
    assert "".join(cut) == text[: text.index(stop)]


def test_stop_between_tokens_ends_the_reply(loaded: Engine):
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 3:
            threading.Thread(target=loaded.cancel).start()

    sampling = SamplingParams(temperature=0.0, max_tokens=400, repeat_penalty=1.0)
    stats = loaded.generate(COUNT, sampling, on_text, ignore_eos=True)
    assert stats.finish_reason == "cancelled"
    assert 3 <= stats.completion_tokens < 400
    # The engine takes the next request at once, from the cache it kept.
    after = loaded.generate(COUNT, GREEDY, lambda _t: None)
    assert after.completion_tokens > 0 and after.prompt_eval_tokens < after.prompt_tokens


def test_the_stats_split_each_tokens_time(loaded: Engine):
    stats = loaded.generate(
        COUNT, SamplingParams(seed=5, max_tokens=40), lambda _t: None, ignore_eos=True
    )
    assert stats.completion_tokens == 40
    assert stats.decode_ms_per_token > 0
    assert stats.sample_ms_per_token > 0
    assert stats.other_ms_per_token >= 0
    # The three parts make up the reply's time per token (the first token aside).
    per_token = 1000 / stats.tokens_per_s
    parts = stats.decode_ms_per_token + stats.sample_ms_per_token + stats.other_ms_per_token
    assert parts == pytest.approx(per_token, rel=0.25)
    # The first token's wait is mostly the prompt's evaluation inside llama_decode.
    assert 0 < stats.prompt_decode_ms < stats.ttft_ms
