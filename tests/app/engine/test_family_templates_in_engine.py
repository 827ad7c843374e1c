"""Every family-style template loads in the engine and answers a conversation that has
custom instructions and a stopped empty reply between two questions.

That conversation is the one that broke peers' apps: a system role some templates
refuse (Gemma 2), and two user turns in a row that alternation-checking templates
(Mistral, Gemma) reject. The model is the real starter model with each template set as
the user's template override, so this goes through the engine host as the app does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.engine import Engine
from app.engine.protocol import LoadRequest, SamplingParams
from tests.support import family_templates

CONVERSATION = [
    {"role": "system", "content": "You answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": ""},  # a reply stopped before its first word
    {"role": "user", "content": "And of Italy?"},
]


@pytest.mark.parametrize("name", family_templates.names())
def test_the_template_loads_and_answers(engine: Engine, starter_model: Path, name: str):
    info = engine.load(
        LoadRequest(
            str(starter_model), n_ctx=1024, chat_template_override=family_templates.load(name)
        )
    )
    assert info.template_source == "override"
    prompt: list[int] = []
    reply: list[str] = []
    stats = engine.generate(
        CONVERSATION,
        SamplingParams(seed=5, max_tokens=6),
        reply.append,
        on_prompt=lambda tokens, _dropped: prompt.append(tokens),
    )
    assert stats.finish_reason in ("stop", "length")
    assert prompt and prompt[0] > 10
    if not info.supports_system:
        assert "system" in info.template_note


def test_a_template_that_refuses_the_system_role_gets_the_instructions_folded(
    engine: Engine, starter_model: Path
):
    info = engine.load(
        LoadRequest(
            str(starter_model),
            n_ctx=1024,
            chat_template_override=family_templates.load("gemma2_no_system"),
        )
    )
    assert not info.supports_system
    assert "first message" in info.template_note
