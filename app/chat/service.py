"""Sends messages to the loaded model and keeps every turn safely in the store.

The user's message is committed as soon as it is sent. The reply is committed when
it starts, with status "streaming", and its text (answer and thinking) is written
again whenever new text has come and half a second has passed since the last write, so
a crash of anything loses at most the last half second of text.
Whatever happens to the engine, the partial reply is kept.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.chat.prompt import prompt_messages
from app.engine.engine import Engine
from app.engine.errors import EngineCrashed, EngineError
from app.engine.protocol import GenerationStats, SamplingParams
from app.store.conversations import ConversationStore
from app.store.model_settings import ModelSettingsStore
from app.store.records import Message, ModelSettings

log = logging.getLogger(__name__)

# Streaming replies are written to disk at least this often, in seconds.
FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class ReplyResult:
    message: Message
    stats: GenerationStats | None
    error: str | None = None

    @property
    def dropped_messages(self) -> int:
        return self.stats.dropped_messages if self.stats else 0


@dataclass(frozen=True)
class ChatOptions:
    """Choices for one chat that override the model's saved settings."""

    # Replaces the model's custom instructions for this chat ("" means none at all).
    system_prompt: str | None = None
    max_tokens: int | None = None
    # Thinking on/off and effort; None keeps the chat's, then the model's, setting.
    thinking: bool | None = None
    effort: str | None = None


@dataclass
class StreamCallbacks:
    on_text: Callable[[str], None] = lambda text: None
    on_thinking: Callable[[str], None] = lambda text: None
    on_started: Callable[[Message], None] = lambda message: None
    on_prompt: Callable[[int, int], None] = lambda tokens, dropped: None
    on_reload: Callable[[], None] = lambda: None


def sampling_from(settings: ModelSettings) -> SamplingParams:
    return SamplingParams(
        temperature=settings.temperature,
        top_p=settings.top_p,
        top_k=settings.top_k,
        min_p=settings.min_p,
        repeat_penalty=settings.repeat_penalty,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
    )


class ChatService:
    """One user's chats with whichever model the engine has loaded."""

    def __init__(
        self,
        conversations: ConversationStore,
        model_settings: ModelSettingsStore,
        engine: Engine,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conversations = conversations
        self.model_settings = model_settings
        self.engine = engine
        self._clock = clock

    @property
    def model_name(self) -> str | None:
        info = self.engine.info
        request = self.engine.load_request
        if info:
            return model_key(info.model_path)
        return model_key(request.model_path) if request else None

    def send(
        self,
        conversation_id: int,
        text: str,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
    ) -> ReplyResult:
        """Stores the user's message after the current last one and streams a reply."""
        path = self.conversations.active_path(conversation_id)
        parent_id = path[-1].id if path else None
        user = self.conversations.add_message(conversation_id, parent_id, "user", text)
        return self._reply(conversation_id, user, callbacks or StreamCallbacks(), options)

    def regenerate(
        self,
        assistant_message_id: int,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
    ) -> ReplyResult:
        """A new version of a reply; the earlier versions are kept."""
        old = self.conversations.get_message(assistant_message_id)
        if old.parent_id is None:
            raise ValueError("a reply always follows a message")
        parent = self.conversations.get_message(old.parent_id)
        return self._reply(old.conversation_id, parent, callbacks or StreamCallbacks(), options)

    def edit_and_resend(
        self,
        user_message_id: int,
        text: str,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
    ) -> ReplyResult:
        """A new version of one of the user's messages, answered afresh from there."""
        old = self.conversations.get_message(user_message_id)
        user = self.conversations.add_message(old.conversation_id, old.parent_id, "user", text)
        return self._reply(old.conversation_id, user, callbacks or StreamCallbacks(), options)

    def template_switches(
        self, conversation_id: int | None, options: ChatOptions | None = None
    ) -> dict[str, Any]:
        """The template switches a reply uses: this call's, else the chat's, else the model's.

        Only switches the loaded model's template offers are passed; unset ones are left
        out so the template's own default applies.
        """
        settings = self.model_settings.get(self.model_name or "")
        thinking, effort = settings.thinking, settings.effort
        if conversation_id is not None:
            conversation = self.conversations.get_conversation(conversation_id)
            if conversation.thinking is not None:
                thinking = conversation.thinking
            if conversation.effort is not None:
                effort = conversation.effort
        if options is not None:
            thinking = options.thinking if options.thinking is not None else thinking
            effort = options.effort or effort
        info = self.engine.info
        switches: dict[str, Any] = {}
        if thinking is not None and (info is None or info.supports_thinking_toggle):
            switches["enable_thinking"] = thinking
        if effort is not None and (info is None or info.supports_effort):
            switches["reasoning_effort"] = effort
        return switches

    def stop(self) -> None:
        """Stops the reply in progress; what was written is kept. Any thread."""
        self.engine.cancel()

    def _reply(
        self,
        conversation_id: int,
        parent: Message,
        callbacks: StreamCallbacks,
        options: ChatOptions | None,
    ) -> ReplyResult:
        model = self.model_name
        settings = self.model_settings.get(model or "")
        history = self.conversations.active_path(conversation_id)
        # The leaf may not be the parent yet (a new version of an older turn).
        history = _path_to(history, parent, self.conversations)
        system_prompt = settings.system_prompt
        sampling = sampling_from(settings)
        if options is not None and options.system_prompt is not None:
            system_prompt = options.system_prompt
        if options is not None and options.max_tokens is not None:
            sampling = replace(sampling, max_tokens=options.max_tokens)
        switches = self.template_switches(conversation_id, options)
        messages = prompt_messages(system_prompt, history)
        reply = self.conversations.add_message(
            conversation_id, parent.id, "assistant", "", model=model, status="streaming"
        )
        if model:
            self.conversations.set_conversation_model(conversation_id, model)
        callbacks.on_started(reply)
        writer = _ReplyWriter(self.conversations, reply.id, self._clock)

        def on_text(text: str) -> None:
            writer.append(text)
            callbacks.on_text(text)

        def on_thinking(text: str) -> None:
            writer.append_thinking(text)
            callbacks.on_thinking(text)

        try:
            stats = self.engine.generate(
                messages,
                sampling,
                on_text,
                on_prompt=callbacks.on_prompt,
                on_reload=callbacks.on_reload,
                on_thinking=on_thinking,
                options=switches,
                grammar=settings.grammar or None,
            )
        except EngineCrashed as error:
            self.engine.forget_crashed()
            message = f"{error}. The reply so far is kept; send again to reload the model."
            writer.finish("error", error=message)
            return ReplyResult(self.conversations.get_message(reply.id), None, message)
        except EngineError as error:
            writer.finish("error", error=str(error))
            return ReplyResult(self.conversations.get_message(reply.id), None, str(error))
        except Exception as error:  # the store failed under the reply (disk full, I/O)
            self.engine.cancel()  # never leave the model writing to nobody
            message = f"The reply could not be saved: {error}"
            log.exception("reply failed")
            with contextlib.suppress(Exception):
                writer.finish("error", error=message)
            shown = replace(
                reply,
                content=writer.text,
                reasoning=writer.reasoning,
                status="error",
                error=message,
            )
            return ReplyResult(shown, None, message)
        except BaseException:
            writer.finish("interrupted")
            raise
        status = "stopped" if stats.finish_reason == "cancelled" else "complete"
        writer.finish(status, stats=stats)
        return ReplyResult(self.conversations.get_message(reply.id), stats)


class _ReplyWriter:
    """Appends streamed text to a stored reply, writing it out at most every FLUSH_SECONDS."""

    def __init__(
        self, conversations: ConversationStore, message_id: int, clock: Callable[[], float]
    ) -> None:
        self._conversations = conversations
        self._message_id = message_id
        self._clock = clock
        self._parts: list[str] = []
        self._thinking: list[str] = []
        self._thinking_started: float | None = None
        self._thinking_ended: float | None = None
        self._last_flush = clock()

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._thinking)

    @property
    def thinking_ms(self) -> float | None:
        """How long the model thought: from its first thought to its first answer text."""
        if self._thinking_started is None:
            return None
        ended = self._thinking_ended if self._thinking_ended is not None else self._clock()
        return (ended - self._thinking_started) * 1000

    def append(self, text: str) -> None:
        if self._thinking_started is not None and self._thinking_ended is None:
            self._thinking_ended = self._clock()
        self._parts.append(text)
        self._flush_if_due()

    def append_thinking(self, text: str) -> None:
        if self._thinking_started is None:
            self._thinking_started = self._clock()
        self._thinking.append(text)
        self._flush_if_due()

    def _flush_if_due(self) -> None:
        if self._clock() - self._last_flush >= FLUSH_SECONDS:
            self._conversations.update_message(
                self._message_id, content=self.text, reasoning=self.reasoning
            )
            self._last_flush = self._clock()

    def finish(
        self, status: str, *, stats: GenerationStats | None = None, error: str | None = None
    ) -> None:
        fields: dict[str, object] = {
            "content": self.text,
            "reasoning": self.reasoning,
            "status": status,
            "thinking_ms": self.thinking_ms,
        }
        if error is not None:
            fields["error"] = error
        if stats is not None and stats.prompt_tokens:  # zero when a cancel cut it short
            fields.update(
                prompt_tokens=stats.prompt_tokens,
                completion_tokens=stats.completion_tokens,
                ttft_ms=stats.ttft_ms,
                tokens_per_s=stats.tokens_per_s,
            )
        self._conversations.update_message(self._message_id, **fields)  # type: ignore[arg-type]


def _path_to(path: list[Message], parent: Message, store: ConversationStore) -> list[Message]:
    """The messages from the first one down to ``parent`` inclusive."""
    for index, message in enumerate(path):
        if message.id == parent.id:
            return path[: index + 1]
    chain = [parent]
    while chain[-1].parent_id is not None:
        chain.append(store.get_message(chain[-1].parent_id))
    return list(reversed(chain))


def model_key(model_path: str) -> str:
    """The name settings are kept under: the file name, which survives moving the folder."""
    from pathlib import PurePath

    return PurePath(model_path).name
