"""The server shares the window's engine through one queue: disconnects cancel at once,
a full queue answers 503, the window's messages take their turn, and a request may load
another model only when the user allows it.

Long replies are forced with a JSON schema that needs hundreds of numbers, so a reply
is still streaming whenever a test cuts it off.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from app.chat.service import StreamCallbacks
from app.engine.request import Request
from app.library.starter import STARTER_NAME
from app.server.config import ServerConfig
from tests.support.api_server import Served, http_post, raw_request, serving, wait_until

CANCEL_WITHIN_S = 0.2
LONG = {
    "model": STARTER_NAME,
    "messages": [{"role": "user", "content": "List numbers."}],
    "max_tokens": 3000,
    "stream": True,
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "numbers",
            "schema": {"type": "array", "items": {"type": "integer"}, "minItems": 600},
        },
    },
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("queue-home"), ServerConfig(queue_limit=1)) as server:
        yield server


class _Stream:
    """A raw streaming request on its own socket, read until the first event arrives."""

    def __init__(self, served: Served, body: dict[str, object]) -> None:
        self.socket = socket.create_connection(("127.0.0.1", served.port), timeout=60)
        self.socket.sendall(http_post("/v1/chat/completions", json.dumps(body).encode()))

    def first_event(self) -> bytes:
        received = b""
        while b"\ndata: " not in received and not received.startswith(b"data: "):
            received += self.socket.recv(4096)
            if b"\r\n\r\n" in received:
                head, _, rest = received.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head
                if rest.startswith(b"data: ") or b"\ndata: " in rest:
                    return rest
        return received

    def close(self) -> None:
        self.socket.close()


def _running_reply(served: Served) -> Request:
    ticket = served.hearth.engine.reply_request
    assert ticket is not None
    return ticket


def test_a_client_that_disconnects_mid_stream_cancels_within_200_ms(limited: Served):
    stream = _Stream(limited, LONG)
    stream.first_event()
    ticket = _running_reply(limited)
    stream.close()
    took = wait_until(lambda: ticket.finished, timeout=5)
    assert took < CANCEL_WITHIN_S, f"the reply ran on for {took * 1000:.0f} ms"
    assert limited.backend.scheduler.snapshot().running is None


def test_a_client_that_disconnects_while_queued_leaves_the_queue_within_200_ms(
    limited: Served,
):
    scheduler = limited.backend.scheduler
    running = _Stream(limited, LONG)
    running.first_event()
    before = scheduler.snapshot()
    waiting = _Stream(limited, LONG)
    wait_until(lambda: scheduler.snapshot().waiting == 1)
    waiting.close()
    took = wait_until(lambda: scheduler.snapshot().waiting == 0, timeout=5)
    assert took < CANCEL_WITHIN_S, f"it stayed queued {took * 1000:.0f} ms"
    after = scheduler.snapshot()
    assert after.cancelled_waiting == before.cancelled_waiting + 1
    assert after.served == before.served  # it never reached the engine
    running.close()
    wait_until(lambda: scheduler.snapshot().running is None)


def test_a_full_queue_answers_503(limited: Served):
    scheduler = limited.backend.scheduler
    running = _Stream(limited, LONG)
    running.first_event()
    waiting = _Stream(limited, LONG)
    wait_until(lambda: scheduler.snapshot().waiting == 1)
    status, response = raw_request(
        limited.port, http_post("/v1/chat/completions", json.dumps(LONG).encode())
    )
    assert status == 503 and b"retry-after: 2" in response.lower()
    assert json.loads(response.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "queue_full"
    waiting.close()
    running.close()
    wait_until(lambda: scheduler.snapshot().running is None and scheduler.snapshot().waiting == 0)


def test_the_window_takes_its_turn_and_its_stop_reaches_it_while_queued(limited: Served):
    hearth = limited.hearth
    scheduler = limited.backend.scheduler
    conversation = hearth.conversations.create_conversation("window chat", None)
    running = _Stream(limited, LONG)
    running.first_event()
    result: list[object] = []
    window = threading.Thread(
        target=lambda: result.append(hearth.chat.send(conversation.id, "Hello", StreamCallbacks()))
    )
    window.start()
    wait_until(lambda: scheduler.snapshot().waiting_by_lane.get("window") == 1)
    hearth.chat.stop()  # Stop in the window: its own reply, still waiting
    window.join(5)
    reply = result[0].message  # type: ignore[attr-defined]
    assert reply.status == "stopped" and reply.content == ""
    api_reply = _running_reply(limited)  # the API reply goes on
    assert not api_reply.cancelled and not api_reply.finished
    # Sent again, it runs as soon as the API reply is done, before later API requests.
    window = threading.Thread(
        target=lambda: result.append(hearth.chat.send(conversation.id, "Hi", StreamCallbacks()))
    )
    window.start()
    wait_until(lambda: scheduler.snapshot().waiting_by_lane.get("window") == 1)
    running.close()
    window.join(30)
    assert result[1].message.status == "complete" and result[1].message.content  # type: ignore[attr-defined]


def test_other_models_load_only_when_allowed(tmp_path: Path, starter_model: Path):
    home = tmp_path / "home"
    other = home / "models" / "someone" / "other-model" / "Other-135M.Q4_1.gguf"
    other.parent.mkdir(parents=True)
    other.symlink_to(starter_model)
    hello = [{"role": "user", "content": "Hi"}]
    with serving(home) as served:
        client = openai.OpenAI(base_url=served.base_url, api_key="-", max_retries=0)
        assert [m.id for m in client.models.list()] == [STARTER_NAME]
        with pytest.raises(openai.NotFoundError, match="allow loading on request"):
            client.chat.completions.create(model="Other-135M.Q4_1", messages=hello)
        served.backend.allow_jit_loading = True  # the switch in the window's server options
        assert {m.id for m in client.models.list()} == {STARTER_NAME, "Other-135M.Q4_1"}
        reply = client.chat.completions.create(
            model="Other-135M.Q4_1", messages=hello, max_tokens=4
        )
        assert reply.model == "Other-135M.Q4_1"
        info = served.hearth.engine.info
        assert info is not None and Path(info.model_path) == other
        with pytest.raises(openai.NotFoundError):  # only models Hearth lists, never a path
            client.chat.completions.create(model=str(starter_model), messages=hello)
        client.close()


def test_api_conversations_are_kept_only_when_asked(tmp_path: Path, starter_model: Path):
    with serving(tmp_path / "home") as served:
        client = openai.OpenAI(base_url=served.base_url, api_key="-", max_retries=0)
        first = [{"role": "user", "content": "Name a colour."}]
        client.chat.completions.create(model=STARTER_NAME, messages=first, max_tokens=6)
        assert served.hearth.conversations.list_conversations() == []
        served.backend.keep_conversations = True
        reply = client.chat.completions.create(model=STARTER_NAME, messages=first, max_tokens=6)
        answer = reply.choices[0].message.content or ""
        follow = [
            *first,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "Another."},
        ]
        client.chat.completions.create(model=STARTER_NAME, messages=follow, max_tokens=6)
        client.close()
        kept = served.hearth.conversations.list_conversations()
        assert [c.title for c in kept] == ["API: Name a colour."]
        path = served.hearth.conversations.active_path(kept[0].id)
        assert [m.role for m in path] == ["user", "assistant", "user", "assistant"]
        assert path[1].content == answer and path[2].content == "Another."
