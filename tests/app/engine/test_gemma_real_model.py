"""A second real model: Gemma 3 270M, a different architecture with no chat template.

It has to be recognised as Gemma from its vocabulary, talk through Hearth's built-in
Gemma template (which has no system role, so instructions are folded in), never show
its markup, and take turns with the starter model in one engine.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams

MARKUP = ("<start_of_turn>", "<end_of_turn>", "<eos>", "<bos>", "<|im_end|>", "<|im_start|>")
GREETING = [
    {"role": "system", "content": "You are a cheerful assistant. Keep every answer short."},
    {"role": "user", "content": "Say hello"},
]
SHORT = SamplingParams(seed=5, max_tokens=48, temperature=0.0, repeat_penalty=1.0)


def gemma_request(gemma_model: Path) -> LoadRequest:
    return LoadRequest(model_path=str(gemma_model), n_ctx=2048)


def reply(engine: Engine, messages: list[dict[str, str]]) -> tuple[str, str]:
    """The answer and the thinking of one generation."""
    answer: list[str] = []
    thinking: list[str] = []
    engine.generate(messages, SHORT, answer.append, on_thinking=thinking.append)
    return "".join(answer), "".join(thinking)


def test_gemma_loads_with_hearths_builtin_gemma_template(engine: Engine, gemma_model: Path):
    info = engine.load(gemma_request(gemma_model))
    assert info.family == "gemma"
    assert info.template_source == "default"
    assert "built-in Gemma template" in info.template_note


def test_gemma_answers_with_custom_instructions_and_shows_no_markup(
    engine: Engine, gemma_model: Path
):
    engine.load(gemma_request(gemma_model))
    answer, thinking = reply(engine, GREETING)
    assert answer.strip()
    for marker in MARKUP:
        assert marker not in answer
        assert marker not in thinking


def test_the_engine_switches_between_two_real_models_and_back(
    engine: Engine, starter_model: Path, gemma_model: Path
):
    starter = LoadRequest(model_path=str(starter_model), n_ctx=2048)
    first = engine.load(starter)
    assert first.family == "chatml"
    assert reply(engine, GREETING)[0].strip()
    starter_pid = engine.host_pid

    gemma = engine.load(gemma_request(gemma_model))
    assert gemma.family == "gemma"
    assert engine.host_pid != starter_pid
    answer, _ = reply(engine, GREETING)
    assert answer.strip()
    assert not any(marker in answer for marker in MARKUP)

    back = engine.load(starter)
    assert back.family == "chatml"
    assert back.template_source == "model"
    answer, _ = reply(engine, GREETING)
    assert answer.strip()
    assert not any(marker in answer for marker in MARKUP)
