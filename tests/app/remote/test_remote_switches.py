"""What the user set for a remote model reaches its server: the thinking switches (as
``chat_template_kwargs`` and ``reasoning_effort``), and "the model must call a tool" (as
``tool_choice: required``), with a clear message when the server answers without a call.

The server is ``hearth serve`` (another Hearth, reached only over HTTP), which honours
both on its side: its model's template reads ``enable_thinking`` and ``reasoning_effort``,
and a required call is enforced there with a grammar.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.chat.service import ChatOptions
from app.hearth import Hearth
from app.library.starter import STARTER_NAME
from tests.support.api_server import Served, serving
from tests.support.remote_client import connect, send
from tests.support.remote_servers import scripted_server

# The served model thinks unless thinking is switched off or the effort is low (its
# generation prompt then opens no thought, or closes it at once). The 135M model never
# closes a thought by itself, so a reply that thinks is all thinking.
SWITCHED_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and not enable_thinking %}"
    "{% elif reasoning_effort is defined and reasoning_effort == 'low' %}<think>\n</think>\n"
    "{% else %}<think>\n{% endif %}{% endif %}"
)
REF = f"remote:switched/{STARTER_NAME}"


@pytest.fixture(scope="module")
def switched_serve(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[Served]:
    def prepare(hearth: Hearth) -> None:
        key = hearth.model_key(hearth.resolve_model(STARTER_NAME).path)
        settings = hearth.model_settings.get(key)
        hearth.model_settings.save(
            replace(settings, chat_template_override=SWITCHED_TEMPLATE, max_tokens=12)
        )

    with serving(tmp_path_factory.mktemp("switched-served"), prepare=prepare) as served:
        yield served


def _set(client: Hearth, **changes: Any) -> None:
    client.model_settings.save(replace(client.model_settings.get(REF), **changes))


def _reply(client: Hearth) -> tuple[str, str]:
    result, _heard = send(client, "Say hello.")
    assert result.error is None
    stored = client.conversations.get_message(result.message.id)
    return stored.content, stored.reasoning


def test_the_thinking_switch_reaches_the_server(client: Hearth, switched_serve: Served):
    info = connect(client, "switched", switched_serve.base_url, STARTER_NAME)
    assert info.supports_thinking_toggle and info.supports_effort  # the user can set them
    _set(client, thinking=False, max_tokens=12)
    answer, thought = _reply(client)
    assert answer.strip() and not thought
    _set(client, thinking=True)
    answer, thought = _reply(client)
    assert thought.strip() and not answer


def test_the_effort_reaches_the_server(client: Hearth, switched_serve: Served):
    connect(client, "switched", switched_serve.base_url, STARTER_NAME)
    _set(client, effort="low", max_tokens=12)
    answer, thought = _reply(client)
    assert answer.strip() and not thought
    _set(client, effort="high")
    answer, thought = _reply(client)
    assert thought.strip() and not answer


def test_a_required_call_is_made_by_the_remote_model_and_runs(client: Hearth, hearth_serve: Served):
    connect(client, "served", hearth_serve.base_url, STARTER_NAME)
    ref = f"remote:served/{STARTER_NAME}"  # at temperature 0 it writes the same call each time
    client.model_settings.save(replace(client.model_settings.get(ref), temperature=0.0))
    conversation = client.conversations.create_conversation("tools", None)
    result = client.chat.send(
        conversation.id,
        "What is 6*7?",
        options=ChatOptions(
            tools=("calculator",),
            tool_choice="required",
            system_prompt="Use the calculator for arithmetic.",
            max_tokens=80,
        ),
    )
    assert result.error is None
    path = client.conversations.active_path(conversation.id)
    assert [m.role for m in path] == ["user", "assistant", "tool", "assistant"]
    (call,) = path[1].tool_calls
    assert call.name == "calculator" and call.error is None
    assert isinstance((call.arguments or {}).get("expression"), str)


def test_a_remote_reply_without_the_required_call_says_so(client: Hearth):
    text = [{"choices": [{"index": 0, "delta": {"content": "It is 42."}, "finish_reason": None}]}]
    with scripted_server("plain", [text]) as server:
        connect(client, "plain", server.base_url, "plain")
        conversation = client.conversations.create_conversation("tools", None)
        result = client.chat.send(
            conversation.id,
            "What is 6*7?",
            options=ChatOptions(tools=("calculator",), tool_choice="required"),
        )
    (body,) = server.bodies
    assert body["tool_choice"] == "required"
    assert result.error is not None and "without calling a tool" in result.error
    stored = client.conversations.get_message(result.message.id)
    assert stored.content == "It is 42." and stored.status == "error"  # the answer is kept
