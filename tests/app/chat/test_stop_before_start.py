"""A Stop pressed after Send but before the reply has begun still ends that reply
(found by the soak: the reply ran to completion)."""

from __future__ import annotations

from app.chat.service import StreamCallbacks
from app.hearth import Hearth


def test_stop_before_the_reply_begins_ends_it(loaded: Hearth):
    conversation = loaded.conversations.create_conversation("t", loaded.chat.model_name).id
    control = loaded.chat.begin_reply()  # made where Send is pressed
    loaded.chat.stop()  # pressed before the worker has started the reply
    pieces: list[str] = []
    result = loaded.chat.send(
        conversation, "Write a long story.", StreamCallbacks(on_text=pieces.append), control=control
    )
    assert pieces == []
    assert result.message.status == "stopped"
    # The next reply is not affected.
    again = loaded.chat.send(conversation, "Hello", control=loaded.chat.begin_reply())
    assert again.message.status == "complete" and again.message.content
