"""A model's thinking reaches API clients apart from its answer: ``reasoning_content`` for
OpenAI clients, ``thinking`` blocks for Anthropic ones.

The starter model does not think by itself. Its saved settings give it a template whose
generation prompt opens ``<think>`` (as reasoning models' templates do) and a grammar
that makes it close the thought and answer; the rest is the real path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import anthropic
import openai
import pytest

from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from tests.support.api_server import Served, serving

FORCED_THINK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)
THOUGHT_THEN_ANSWER = 'root ::= [a-z ]{12,40} "</think>" [A-Za-z ]{4,30}'
HELLO = [{"role": "user", "content": "Say hello."}]


def _thinking_settings(hearth: Hearth) -> None:
    model = hearth.resolve_model(STARTER_NAME)
    key = hearth.model_key(model.path)
    hearth.model_settings.save(
        replace(
            hearth.model_settings.get(key),
            chat_template_override=FORCED_THINK_TEMPLATE,
            grammar=THOUGHT_THEN_ANSWER,
        )
    )


@pytest.fixture(scope="module")
def thinking_server(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("thinking-home")
    with serving(home, prepare=_thinking_settings) as server:
        yield server


def test_openai_clients_get_reasoning_content(thinking_server: Served):
    with openai.OpenAI(base_url=thinking_server.base_url, api_key="-", max_retries=0) as client:
        reply = client.chat.completions.create(model=STARTER_NAME, messages=HELLO, max_tokens=80)
        message = reply.choices[0].message
        thought = getattr(message, "reasoning_content", None)
        assert thought and 12 <= len(thought) <= 40
        assert message.content and "</think>" not in message.content + thought
        chunks = list(
            client.chat.completions.create(
                model=STARTER_NAME, messages=HELLO, max_tokens=80, stream=True
            )
        )
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    streamed_thought = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
    streamed_answer = "".join(d.content or "" for d in deltas)
    assert streamed_thought.strip() and streamed_answer.strip()
    first_answer = next(i for i, d in enumerate(deltas) if d.content)
    assert all(not getattr(d, "reasoning_content", None) for d in deltas[first_answer:])


def test_anthropic_clients_get_thinking_blocks(thinking_server: Served):
    with anthropic.Anthropic(base_url=thinking_server.origin, api_key="-", max_retries=0) as client:
        message = client.messages.create(model=STARTER_NAME, max_tokens=80, messages=HELLO)
        assert [block.type for block in message.content] == ["thinking", "text"]
        with client.messages.stream(model=STARTER_NAME, max_tokens=80, messages=HELLO) as stream:
            final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    thinking, text = final.content
    assert thinking.type == "thinking" and thinking.thinking.strip()
    assert text.type == "text" and text.text.strip()
