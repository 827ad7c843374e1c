"""Thinking and answer come out of the real engine apart, whatever shape the model writes.

The starter model does not think by itself, so a grammar (llama.cpp's constrained
sampling, a user setting) makes it write in a thinking model's shape; everything after
the sampler is the real path: the detokenizer, the stop filter and the reply parser in
the engine host, the pipe, and the events the app receives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.errors import GenerationError
from app.engine.protocol import LoadRequest, SamplingParams

QUESTION = [{"role": "user", "content": "Say hello."}]
THINK_THEN_ANSWER = 'root ::= "<think>" [a-z ]{12,40} "</think>" [A-Za-z ]{4,30}'
# A template in the style of the reasoning models whose generation prompt opens <think>.
FORCED_THINK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)


def _generate(engine: Engine, grammar: str, **sampling: object) -> tuple[str, str]:
    answer: list[str] = []
    thinking: list[str] = []
    engine.generate(
        QUESTION,
        SamplingParams(seed=11, max_tokens=80, **sampling),  # type: ignore[arg-type]
        answer.append,
        on_thinking=thinking.append,
        grammar=grammar,
    )
    return "".join(thinking), "".join(answer)


def test_think_tags_in_the_output_become_thinking(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    thinking, answer = _generate(engine, THINK_THEN_ANSWER)
    assert 12 <= len(thinking) <= 40 and thinking.strip()
    assert answer.strip()
    for text in (thinking, answer):
        assert "<think>" not in text and "</think>" not in text


def test_a_generation_prompt_that_opens_thinking(engine: Engine, starter_model: Path):
    engine.load(
        LoadRequest(str(starter_model), n_ctx=1024, chat_template_override=FORCED_THINK_TEMPLATE)
    )
    thinking, answer = _generate(engine, 'root ::= [a-z ]{12,40} "</think>" [A-Za-z ]{4,30}')
    assert thinking.strip() and answer.strip()
    assert "</think>" not in thinking + answer


def test_a_broken_grammar_is_a_clear_error(engine: Engine, starter_request: LoadRequest):
    engine.load(starter_request)
    with pytest.raises(GenerationError, match="grammar"):
        _generate(engine, "root ::= (unclosed")
    # The host lives on.
    _thinking, answer = _generate(engine, 'root ::= "fine"')
    assert answer == "fine"


def test_special_token_text_never_reaches_the_reply(engine: Engine, starter_request: LoadRequest):
    """The model writes its end marker as text: the reply ends there, the marker unseen."""
    engine.load(starter_request)
    _thinking, answer = _generate(engine, 'root ::= "Hi there" "<|im_end|>" [a-z]{3,9}')
    assert answer == "Hi there"


def test_model_info_reports_family_and_switches(engine: Engine, starter_request: LoadRequest):
    info = engine.load(starter_request)
    assert info.family == "chatml"
    assert info.template_source == "model"
    assert info.supports_system
    assert not info.supports_thinking_toggle and not info.supports_effort
