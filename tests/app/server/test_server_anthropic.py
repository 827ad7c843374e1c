"""The official ``anthropic`` package against ``/v1/messages`` on a real Hearth server."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from app.library.starter import STARTER_NAME
from tests.support.api_server import Served

MODEL = STARTER_NAME
HELLO: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Say hello to Ann."}]


@pytest.fixture(scope="module")
def claude(served: Served) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=served.origin, api_key="unused", max_retries=0) as client:
        yield client


def test_a_message(claude: anthropic.Anthropic):
    message = claude.messages.create(
        model=MODEL, max_tokens=24, messages=HELLO, system="You are brief."
    )
    assert message.role == "assistant" and message.model == MODEL
    assert message.content[0].type == "text" and message.content[0].text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 0 and 0 < message.usage.output_tokens <= 24


def test_a_streamed_message(claude: anthropic.Anthropic):
    with claude.messages.stream(
        model=MODEL, max_tokens=24, messages=HELLO, extra_body={"temperature": 0}
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces).strip()
    assert final.content[-1].type == "text" and final.content[-1].text == "".join(pieces)
    assert final.usage.output_tokens > 0
    whole = claude.messages.create(
        model=MODEL, max_tokens=24, messages=HELLO, extra_body={"temperature": 0}
    )
    assert whole.content[0].type == "text" and whole.content[0].text == "".join(pieces)


def test_max_tokens_is_the_stop_reason_when_reached(claude: anthropic.Anthropic):
    message = claude.messages.create(
        model=MODEL,
        max_tokens=4,
        messages=[{"role": "user", "content": "Tell me a long story about a fox."}],
    )
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 4


def test_errors_have_anthropic_shape(claude: anthropic.Anthropic):
    with pytest.raises(anthropic.BadRequestError) as tools:
        claude.messages.create(
            model=MODEL,
            max_tokens=16,
            messages=HELLO,
            tools=[{"name": "clock", "input_schema": {"type": "object"}}],
            tool_choice={"type": "tool", "name": "calendar"},
        )
    assert tools.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "calendar" in tools.value.message
    with pytest.raises(anthropic.NotFoundError) as unknown:
        claude.messages.create(model="claude-nine", max_tokens=16, messages=HELLO)
    assert unknown.value.body["type"] == "error"  # type: ignore[index]
