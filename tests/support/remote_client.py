"""A Hearth chatting with a remote server in tests: connect to a model, send, hear it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.chat.service import ReplyResult, StreamCallbacks
from app.engine.protocol import ModelInfo
from app.hearth import Hearth
from app.remote.connect import add_server, remote_load_request


def connect(hearth: Hearth, name: str, url: str, model: str, key: str | None = None) -> ModelInfo:
    """Adds the server (it lists its models) and picks ``model`` on it."""
    add_server(hearth.paths.config, name, url, key)
    request = remote_load_request(f"remote:{name}/{model}", hearth.paths.config)
    return hearth.engine.load(request)


@dataclass
class Heard:
    """What a reply reported while it streamed."""

    answer: list[str]
    thinking: list[str]

    @property
    def text(self) -> str:
        return "".join(self.answer)


def send(
    hearth: Hearth, text: str, *, on_text: Callable[[str], None] | None = None
) -> tuple[ReplyResult, Heard]:
    """Sends ``text`` in a new conversation; returns the result and what streamed."""
    conversation = hearth.conversations.create_conversation("remote test", None)
    heard = Heard([], [])

    def answer(piece: str) -> None:
        heard.answer.append(piece)
        if on_text is not None:
            on_text(piece)

    callbacks = StreamCallbacks(on_text=answer, on_thinking=heard.thinking.append)
    return hearth.chat.send(conversation.id, text, callbacks), heard
