"""Speculative decoding on the real starter model: prompt lookup and a draft model give
the same reply token for token at temperature 0 as the plain loop, drafts are counted and
kept, stop strings and the token limit end a reply where they would without a draft,
Stop works, and a draft model of another vocabulary is refused in words.

Identity needs llama.cpp to compute each position of a batch exactly as that token alone
(app/engine/exact_drafts.py): the starter does with flash attention, which Hearth turns
on with speculation, and does not without; Gemma 3's Q4_K_M file does not even with it
(its weights are repacked for the CPU's batch kernels). Where it does not, greedy
replies go without drafts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from app.engine.draft_gate import FIRST_PAUSE, DraftGate
from app.engine.draft_model import DraftModel
from app.engine.draft_vocab import vocab_mismatch
from app.engine.engine import Engine
from app.engine.exact_drafts import batch_matches_single_tokens
from app.engine.ngram_draft import PromptLookup
from app.engine.protocol import LoadRequest, SamplingParams
from app.engine.sampler_chain import SamplerChain
from app.engine.speculative import DEFAULT_MODE, INEXACT_NOTE
from app.engine.token_loop import Drafter, LoopTimings, TokenLoop
from app.hearth import Hearth
from app.paths import hearth_paths
from tests.support.draft_copy import lower_precision_copy

TEXT = (
    "The library will be closed on monday for maintenence. Books that are due that day"
    " can be returned on Tuesday without a late fee."
)
PROMPTS = {
    "edit": f"Correct the errors in the following text and repeat the whole text:\n\n{TEXT}",
    "story": "Write a short story about a lighthouse keeper.",
    "list": "Write the numbers from 1 to 20 in words, one per line.",
}
GREEDY = SamplingParams(temperature=0.0, max_tokens=120)
TOKENS = 120


def chat(text: str) -> bytes:
    return f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n".encode()


def _load(path: Path, flash_attn: bool = True) -> Any:
    """The model as Hearth loads it with speculation on: with flash attention."""
    return llama_cpp.Llama(
        model_path=str(path),
        n_ctx=1024,
        n_threads=1,
        n_threads_batch=1,
        flash_attn=flash_attn,
        verbose=False,
    )


@pytest.fixture(scope="module")
def draft_path(starter_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lower_precision_copy(starter_model, tmp_path_factory.mktemp("draft"))


@pytest.fixture(scope="module")
def target(starter_model: Path) -> Iterator[Any]:
    llm = _load(starter_model)
    yield llm
    llm.close()


def generate(
    llm: Any,
    text: str,
    drafter: Drafter | None,
    sampling: SamplingParams = GREEDY,
    gated: bool = False,
) -> tuple[list[int], LoopTimings]:
    """The reply's tokens up to the end of generation or TOKENS, from an empty cache.
    Drafts are asked for at every step unless ``gated`` (see app.engine.draft_gate)."""
    prompt = llm.tokenize(chat(text), add_bos=False, special=True)
    loop = TokenLoop(llm, gated=gated)
    llm.n_tokens = 0
    assert loop.evaluate_prompt(prompt, lambda: False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    out: list[int] = []
    with SamplerChain(vocab, llm.n_vocab(), sampling) as chain:
        replies = loop.tokens(chain.pointer, drafter)
        for token in replies:
            if llama_cpp.llama_vocab_is_eog(vocab, token) or len(out) == TOKENS:
                break
            out.append(token)
        replies.close()
    # The cache holds the prompt and the reply's tokens, the one stopped at aside.
    assert loop.n_tokens == len(prompt) + len(out)
    assert list(llm.input_ids[: loop.n_tokens]) == prompt + out
    return out, loop.timings


def assert_same_reply(llm: Any, text: str, drafter: Drafter) -> LoopTimings:
    """Speculation's reply is the plain one, token for token (repetition penalty off, so
    a draft model's own greedy guesses are what the model picks when they are right)."""
    sampling = replace(GREEDY, repeat_penalty=1.0)
    plain, _ = generate(llm, text, None, sampling)
    drafted, timings = generate(llm, text, drafter, sampling)
    assert drafted == plain
    return timings


@pytest.mark.parametrize("name", ["edit", "list", "story"])
def test_prompt_lookup_gives_the_same_reply(target: Any, name: str):
    plain, _ = generate(target, PROMPTS[name], None)
    drafted, timings = generate(target, PROMPTS[name], PromptLookup())
    assert drafted == plain
    assert timings.accepted <= timings.drafted
    if name == "edit":  # the reply repeats the text: drafts are found, and kept
        assert timings.accepted >= timings.drafted // 3 > 0, (timings.accepted, timings.drafted)


def test_batches_are_exact_with_flash_attention_and_not_without(
    target: Any, starter_model: Path, gemma_model: Path
):
    assert batch_matches_single_tokens(target)
    assert target.n_tokens == 0  # the probe leaves an empty cache
    without = _load(starter_model, flash_attn=False)
    gemma = _load(gemma_model)
    try:
        assert not batch_matches_single_tokens(without)
        assert not batch_matches_single_tokens(gemma)  # repacked Q4_K weights
        # What that means: the plain loop and drafts part somewhere in these replies.
        parted = [
            generate(without, PROMPTS[name], None)[0]
            != generate(without, PROMPTS[name], PromptLookup())[0]
            for name in PROMPTS
        ]
        assert any(parted)
    finally:
        without.close()
        gemma.close()


def test_the_gate_keeps_the_reply_and_pauses_drafts_that_do_not_pay(target: Any):
    plain, _ = generate(target, PROMPTS["edit"], None)
    gated, _ = generate(target, PROMPTS["edit"], PromptLookup(), gated=True)
    assert gated == plain
    gate = DraftGate()
    gate.record(False, 0.010, 1)  # a step without a draft: 10 ms a token
    gate.record(True, 0.030, 2)  # with one: 15 ms a token kept
    assert [gate.wants_draft() for _ in range(FIRST_PAUSE + 1)] == [False] * FIRST_PAUSE + [True]
    gate.record(True, 0.040, 2)  # losing again: a pause twice as long
    assert sum(not gate.wants_draft() for _ in range(4 * FIRST_PAUSE)) == 2 * FIRST_PAUSE
    gate.record(True, 0.024, 4)  # 6 ms a token: drafting pays, and goes on
    assert gate.wants_draft()


def test_a_seed_gives_the_same_reply_again_with_prompt_lookup(target: Any):
    seeded = SamplingParams(temperature=0.7, seed=42, max_tokens=TOKENS)
    first, timings = generate(target, PROMPTS["edit"], PromptLookup(), seeded)
    again, _ = generate(target, PROMPTS["edit"], PromptLookup(), seeded)
    assert again == first and timings.accepted > 0


def test_a_draft_model_gives_the_same_reply(target: Any, draft_path: Path):
    draft = DraftModel(_load(draft_path))
    try:
        for name in ("edit", "list"):
            plain, _ = generate(target, PROMPTS[name], None)
            drafted, timings = generate(target, PROMPTS[name], draft)
            assert drafted == plain
            assert 0 < timings.accepted <= timings.drafted
        timings = assert_same_reply(target, PROMPTS["story"], draft)
        assert 0 < timings.accepted <= timings.drafted
    finally:
        draft.close()


def test_the_model_drafting_for_itself_is_always_right(target: Any, starter_model: Path):
    draft = DraftModel(_load(starter_model), min_p=0.0)
    try:
        timings = assert_same_reply(target, PROMPTS["story"], draft)
    finally:
        draft.close()
    # Its guesses are its own greedy picks (no penalty here), computed as the model does.
    assert timings.accepted == timings.drafted > 0


def test_a_draft_of_another_vocabulary_is_refused(target: Any, draft_path: Path, gemma_model: Path):
    gemma = _load(gemma_model)
    copy = _load(draft_path)
    try:
        assert vocab_mismatch(target, copy) is None
        assert vocab_mismatch(target, gemma)
    finally:
        gemma.close()
        copy.close()


# Through the engine: the host's stop strings, token limit, Stop and settings.


@pytest.fixture
def engines(starter_request: LoadRequest) -> Iterator[tuple[Engine, Engine]]:
    """The starter loaded twice with flash attention, without drafts and with them."""
    off, on = Engine(), Engine()
    request = replace(starter_request, flash_attn=True)
    try:
        off.load(replace(request, speculative="off"))
        info = on.load(replace(request, speculative="lookup"))
        assert info.speculative == "lookup" and not info.speculative_note
        yield off, on
    finally:
        off.unload()
        on.unload()


EDIT = [{"role": "user", "content": PROMPTS["edit"]}]


def test_stop_strings_and_the_token_limit_end_the_reply_in_the_same_place(
    engines: tuple[Engine, Engine],
):
    off, on = engines
    free: list[str] = []
    stats = on.generate(EDIT, GREEDY, free.append)
    assert stats.accepted_tokens > 0 and stats.draft_tokens >= stats.accepted_tokens
    text = "".join(free)
    # A stop string well inside the repeated text, where drafts are being kept.
    stop = "can be returned"
    assert stop in text, text
    for engine in (off, on):
        cut: list[str] = []
        stats = engine.generate(EDIT, GREEDY, cut.append, stop=(stop,))
        assert stats.finish_reason == "stop"
        assert "".join(cut) == text[: text.index(stop)]
    # A token limit that falls inside a kept draft.
    limited = replace(GREEDY, max_tokens=17)
    replies = []
    for engine in (off, on):
        parts: list[str] = []
        stats = engine.generate(EDIT, limited, parts.append)
        assert stats.completion_tokens == 17 and stats.finish_reason == "length"
        replies.append("".join(parts))
    assert replies[0] == replies[1] and text.startswith(replies[1])
    # The next request reuses the cache the drafts left behind.
    again: list[str] = []
    stats = on.generate(EDIT, GREEDY, again.append)
    assert "".join(again) == text
    assert stats.prompt_eval_tokens < stats.prompt_tokens


@pytest.mark.parametrize("name", ["edit", "story"])
def test_the_engine_replies_the_same_with_prompt_lookup(engines: tuple[Engine, Engine], name: str):
    off, on = engines
    messages = [{"role": "user", "content": PROMPTS[name]}]
    replies = []
    for engine in (off, on):
        parts: list[str] = []
        stats = engine.generate(messages, replace(GREEDY, max_tokens=200), parts.append)
        replies.append("".join(parts))
    assert replies[0] == replies[1]
    assert stats.draft_tokens > 0


def test_a_load_that_rounds_batches_otherwise_keeps_greedy_replies_without_drafts(
    engine: Engine, starter_request: LoadRequest
):
    info = engine.load(replace(starter_request, flash_attn=False, speculative="lookup"))
    assert info.speculative == "lookup" and info.speculative_note == INEXACT_NOTE
    greedy = engine.generate(EDIT, GREEDY, lambda _t: None)
    assert greedy.completion_tokens > 0 and greedy.draft_tokens == 0
    sampled = engine.generate(EDIT, replace(GREEDY, temperature=0.5, seed=7), lambda _t: None)
    assert sampled.draft_tokens > 0


def test_stop_ends_a_reply_with_prompt_lookup(engines: tuple[Engine, Engine]):
    _off, on = engines
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 3:
            threading.Thread(target=on.cancel).start()

    long = replace(GREEDY, max_tokens=400)
    stats = on.generate(EDIT, long, on_text, ignore_eos=True)
    assert stats.finish_reason == "cancelled"
    assert 3 <= stats.completion_tokens < 400
    after = on.generate(EDIT, GREEDY, lambda _t: None)
    assert after.completion_tokens > 0


def test_the_engine_refuses_a_draft_of_another_vocabulary_in_words(
    engine: Engine, starter_request: LoadRequest, gemma_model: Path
):
    info = engine.load(
        replace(starter_request, speculative="draft", draft_model_path=str(gemma_model))
    )
    assert info.speculative == "off"
    assert "does not share this model's vocabulary" in info.speculative_note
    # The model itself answers, without speculation.
    stats = engine.generate(EDIT, GREEDY, lambda _t: None)
    assert stats.completion_tokens > 0 and stats.draft_tokens == 0


def test_the_engine_drafts_with_a_draft_model(
    engine: Engine, starter_request: LoadRequest, draft_path: Path
):
    request = replace(starter_request, flash_attn=True)  # as Hearth loads it for drafts
    info = engine.load(replace(request, speculative="draft", draft_model_path=str(draft_path)))
    assert info.speculative == "draft" and not info.speculative_note
    stats = engine.generate(EDIT, GREEDY, lambda _t: None)
    assert stats.accepted_tokens > 0


# Through Hearth: the model's saved settings reach the load.


@pytest.fixture
def hearth(hearth_home: Path) -> Iterator[Hearth]:
    opened = Hearth.open(hearth_paths())
    yield opened
    opened.close()


def test_the_saved_choice_reaches_the_load(hearth: Hearth, starter_model: Path, draft_path: Path):
    model = hearth.resolve_model(str(starter_model))
    key = hearth.model_key(starter_model)
    plain = hearth.load_request(model)
    assert plain.speculative == DEFAULT_MODE
    assert not plain.flash_attn  # the CPU's default: faster replies deep in a chat
    settings = hearth.model_settings.get(key)
    settings.speculative, settings.draft_model = "draft", str(draft_path)
    hearth.model_settings.save(settings)
    request = hearth.load_request(model)
    assert (request.speculative, request.draft_model_path) == ("draft", str(draft_path))
    assert request.flash_attn  # so that drafts never change a greedy reply
    info = hearth.engine.load(request)
    assert info.speculative == "draft" and not info.speculative_note
    # A draft kept under a key no model has now: the model loads, and says why it drafts not.
    settings.draft_model = "someone/Gone-GGUF/gone-q4_k_m.gguf"
    hearth.model_settings.save(settings)
    info = hearth.engine.load(hearth.load_request(model))
    assert info.speculative == "off" and "could not be loaded" in info.speculative_note
