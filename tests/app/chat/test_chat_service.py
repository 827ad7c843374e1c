"""Chats through the real engine and a real database: what is stored, and when."""

from __future__ import annotations

import itertools
import os
import signal
import threading
from dataclasses import replace

from app.chat.service import ChatService, StreamCallbacks, model_key
from app.hearth import Hearth
from app.store.conversations import ConversationStore
from app.store.database import Database


def new_chat(hearth: Hearth) -> int:
    return hearth.conversations.create_conversation("test", hearth.chat.model_name).id


def test_a_reply_streams_and_is_stored(loaded: Hearth):
    conversation = new_chat(loaded)
    pieces: list[str] = []
    result = loaded.chat.send(
        conversation, "What is the capital of France?", StreamCallbacks(on_text=pieces.append)
    )
    assert result.error is None
    assert len(pieces) > 1
    # A fresh connection, as after a restart, finds both messages.
    reopened = ConversationStore(Database.open(loaded.paths.database))
    path = reopened.active_path(conversation)
    assert [m.role for m in path] == ["user", "assistant"]
    assert path[0].content == "What is the capital of France?"
    assert path[1].content == "".join(pieces)
    assert path[1].status == "complete"
    assert path[1].model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path[1].completion_tokens and path[1].tokens_per_s and path[1].ttft_ms
    assert reopened.get_conversation(conversation).model == path[1].model


def test_the_reply_is_written_while_it_streams(loaded: Hearth):
    """With a clock that moves 0.1 s per look, the reply reaches disk every few pieces."""
    ticks = itertools.count()
    chat = ChatService(
        loaded.conversations, loaded.model_settings, loaded.engine, clock=lambda: next(ticks) / 10
    )
    watcher = ConversationStore(Database.open(loaded.paths.database))
    conversation = new_chat(loaded)
    seen_on_disk: list[str] = []
    started: list[int] = []

    def on_text(_text: str) -> None:
        seen_on_disk.append(watcher.get_message(started[0]).content)

    chat.send(
        conversation,
        "Write a long story about a cat.",
        StreamCallbacks(on_text=on_text, on_started=lambda m: started.append(m.id)),
    )
    distinct = [text for text in dict.fromkeys(seen_on_disk) if text]
    assert len(distinct) >= 3  # written several times before the end
    assert all(b.startswith(a) for a, b in itertools.pairwise(distinct))


def test_stop_keeps_the_partial_reply(loaded: Hearth):
    settings = replace(loaded.model_settings.get(loaded.chat.model_name or ""), max_tokens=2000)
    loaded.model_settings.save(settings)
    conversation = new_chat(loaded)
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 15:
            threading.Thread(target=loaded.chat.stop).start()

    result = loaded.chat.send(
        conversation, "Tell me a very long story about the sea.", StreamCallbacks(on_text=on_text)
    )
    stored = loaded.conversations.get_message(result.message.id)
    assert stored.status == "stopped"
    assert len(pieces) >= 15
    assert stored.content == "".join(pieces)


def test_a_killed_engine_keeps_the_partial_reply_and_the_next_message_works(loaded: Hearth):
    conversation = new_chat(loaded)
    pid = loaded.engine.host_pid
    assert pid
    pieces: list[str] = []

    def on_text(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 5:
            os.kill(pid, signal.SIGKILL)

    result = loaded.chat.send(
        conversation, "Tell me a long story.", StreamCallbacks(on_text=on_text)
    )
    assert result.error and "SIGKILL" in result.error
    stored = loaded.conversations.get_message(result.message.id)
    assert stored.status == "error"
    assert stored.content.startswith("".join(pieces[:5]))
    assert "SIGKILL" in (stored.error or "")

    reloaded: list[bool] = []
    again = loaded.chat.send(
        conversation, "Hello?", StreamCallbacks(on_reload=lambda: reloaded.append(True))
    )
    assert again.error is None and again.message.content
    assert reloaded == [True]
    assert [m.role for m in loaded.conversations.active_path(conversation)] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]


def test_regenerate_keeps_the_earlier_versions(loaded: Hearth):
    conversation = new_chat(loaded)
    first = loaded.chat.send(conversation, "Say something.")
    second = loaded.chat.regenerate(first.message.id)
    third = loaded.chat.regenerate(second.message.id)
    versions = loaded.conversations.versions(third.message.id)
    assert [v.id for v in versions] == [first.message.id, second.message.id, third.message.id]
    assert loaded.conversations.active_path(conversation)[-1].id == third.message.id
    loaded.conversations.select_version(first.message.id)
    assert loaded.conversations.active_path(conversation)[-1].id == first.message.id


def test_editing_an_earlier_message_starts_a_new_branch(loaded: Hearth):
    conversation = new_chat(loaded)
    loaded.chat.send(conversation, "First question")
    loaded.chat.send(conversation, "Second question")
    first_user = loaded.conversations.active_path(conversation)[0]
    edited = loaded.chat.edit_and_resend(first_user.id, "A different first question")
    path = loaded.conversations.active_path(conversation)
    assert [m.content for m in path[:1]] == ["A different first question"]
    assert path[-1].id == edited.message.id and len(path) == 2
    assert len(loaded.conversations.versions(path[0].id)) == 2


def test_custom_instructions_are_sent_with_every_message(loaded: Hearth):
    key = loaded.chat.model_name or ""
    plain = loaded.chat.send(new_chat(loaded), "Hi")
    loaded.model_settings.save(
        replace(loaded.model_settings.get(key), system_prompt="You are a pirate. " * 20)
    )
    instructed = loaded.chat.send(new_chat(loaded), "Hi")
    assert plain.stats and instructed.stats
    assert instructed.stats.prompt_tokens > plain.stats.prompt_tokens + 80


def test_the_oldest_turns_drop_out_of_an_overlong_conversation(hearth: Hearth):
    model = hearth.resolve_model("SmolLM2-135M-Instruct")
    key = model_key(str(model.path))
    hearth.model_settings.save(
        replace(
            hearth.model_settings.get(key),
            context_length=512,
            max_tokens=32,
            system_prompt="Be brief.",
        )
    )
    hearth.engine.load(hearth.load_request(model))
    assert hearth.engine.info and hearth.engine.info.n_ctx == 512
    conversation = new_chat(hearth)
    store = hearth.conversations
    parent = None
    for turn in range(12):
        user = store.add_message(
            conversation, parent, "user", f"Question {turn}: " + "tell me " * 20
        )
        parent = store.add_message(conversation, user.id, "assistant", "An answer. " * 10).id
    result = hearth.chat.send(conversation, "The newest question: what is 2+2?")
    assert result.error is None
    assert result.dropped_messages > 0
    assert result.stats and result.stats.prompt_tokens <= 512
