"""Sends messages to the loaded model and keeps every turn safely in the store.

The user's message is committed as soon as it is sent. The reply is committed when
it starts, with status "streaming", and its text (answer and thinking) is written
again whenever new text has come and half a second has passed since the last write, so
a crash of anything loses at most the last half second of text.
Whatever happens to the engine, the partial reply is kept.

With tools on, a reply goes in rounds: the model answers; when its answer ends with
tool calls, that assistant turn is stored with its calls, each call is answered by a
tool message (asked about, run or declined: ``app.chat.tool_loop``), and the model goes
again with the results in its prompt, up to ``max_tool_rounds`` times. Every turn and
result is part of the conversation, so regenerate and edit see the same path.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from app.chat.prompt import prompt_messages
from app.chat.tool_loop import (
    CallRunner,
    ReplyControl,
    grammar_tools,
    own_output_tools,
    stored_calls,
    untrusted_in_turn,
)
from app.docs.context import with_documents
from app.engine.engine import Engine
from app.engine.errors import EngineCrashed, EngineError
from app.engine.families import Family, tool_call_format
from app.engine.protocol import GenerationStats, SamplingParams
from app.engine.scheduler import Scheduler
from app.engine.tool_calls import ToolCall
from app.library.model_keys import model_key as library_model_key
from app.store.conversations import ConversationStore
from app.store.model_settings import ModelSettingsStore
from app.store.records import Message, ModelSettings
from app.tools.approval import ApprovalPolicy, ApprovalRequest, Decision
from app.tools.base import ToolResult
from app.tools.grammar import call_grammar
from app.tools.registry import ToolRegistry
from app.tools.toolbox import ToolBox, ToolSet, parse_names

log = logging.getLogger(__name__)

# Streaming replies are written to disk at least this often, in seconds.
FLUSH_SECONDS = 0.5
# Rounds of tool calls one reply may run before Hearth stops the model.
MAX_TOOL_ROUNDS = 8

ToolChoice = Literal["auto", "required"]


@dataclass(frozen=True)
class ReplyResult:
    """message: the reply's last assistant turn. stats: that turn's figures. turns: every
    message the reply stored, in order (assistant turns and tool results). note: what
    the user should know beyond the reply (tools that could not be had, the limit of
    tool rounds reached), or None."""

    message: Message
    stats: GenerationStats | None
    error: str | None = None
    turns: tuple[Message, ...] = ()
    note: str | None = None

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
    # The tools offered, by name (app.tools.toolbox: calculator, clock, python, an MCP
    # server, SERVER__TOOL); None keeps the chat's, then the model's, setting; () none.
    tools: tuple[str, ...] | None = None
    # "required": the reply's first round must be a tool call; None: the model's setting.
    tool_choice: ToolChoice | None = None
    # The prompt carries content that is not the user's (a document): no tool call of
    # this reply runs without asking.
    untrusted_context: bool = False
    # Documents (app.docs.chat_docs): called once with the user's message the reply
    # answers, on the reply's thread; returns the retrieved passages, delimited as data,
    # to put before that message in the prompt (never stored). Implies untrusted_context.
    documents: Callable[[Message], str | None] | None = None


def _deny(_request: ApprovalRequest) -> Decision:
    return Decision.DENY


@dataclass
class StreamCallbacks:
    """What a reply reports while it runs, all on the thread that called the service.

    on_started: each assistant turn, when it is stored (empty) and begins; a reply with
    tool calls has one per round. on_tool_call: a call, as soon as the model has written
    it. on_tool_result: the call's result once it ran, or why it did not. approve: asks
    the user about a call and returns their decision; it may block until they answer.
    Without one, every call that needs a yes is declined.
    """

    on_text: Callable[[str], None] = lambda text: None
    on_thinking: Callable[[str], None] = lambda text: None
    on_started: Callable[[Message], None] = lambda message: None
    on_prompt: Callable[[int, int], None] = lambda tokens, dropped: None
    on_reload: Callable[[], None] = lambda: None
    on_tool_call: Callable[[ToolCall], None] = lambda call: None
    on_tool_result: Callable[[ToolCall, ToolResult], None] = lambda call, result: None
    approve: Callable[[ApprovalRequest], Decision] = _deny


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
        key_of: Callable[[str], str] | None = None,
        toolbox: ToolBox | None = None,
        max_tool_rounds: int = MAX_TOOL_ROUNDS,
    ) -> None:
        self.conversations = conversations
        self.model_settings = model_settings
        self.engine = engine
        self._clock = clock
        # The key a model file's settings and replies are kept under; Hearth passes one
        # that knows the models folder (see app.library.model_keys).
        self._key_of = key_of or model_key
        # Replies wait their turn with the API server's (app.engine.scheduler).
        self._scheduler = Scheduler.of(engine)
        self._control: ReplyControl | None = None  # this service's reply, for Stop
        # The tools chats can switch on, and what the user allowed in each chat.
        self.toolbox = toolbox or ToolBox()
        self.approvals = ApprovalPolicy()
        self.max_tool_rounds = max_tool_rounds
        # The documents a chat has on (the window sets it: app.docs.chat_docs.ChatDocs.hook):
        # a conversation id to its ChatOptions.documents callable, used when the options
        # bring none.
        self.documents_for: Callable[[int], Callable[[Message], str | None] | None] | None = None

    @property
    def model_name(self) -> str | None:
        info = self.engine.info
        request = self.engine.load_request
        if info:
            return self._key_of(info.model_path)
        return self._key_of(request.model_path) if request else None

    def send(
        self,
        conversation_id: int,
        text: str,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
        control: ReplyControl | None = None,
    ) -> ReplyResult:
        """Stores the user's message after the current last one and streams a reply."""
        user = self.add_user_message(conversation_id, text)
        return self.answer(user, callbacks, options, control)

    def add_user_message(self, conversation_id: int, text: str) -> Message:
        """Stores the user's message after the current last one (a short write: the
        window makes it as Send is pressed, so the message is kept even if the reply
        waits behind a model load and the chat is deleted meanwhile)."""
        path = self.conversations.active_path(conversation_id)
        parent_id = path[-1].id if path else None
        return self.conversations.add_message(conversation_id, parent_id, "user", text)

    def answer(
        self,
        user: Message,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
        control: ReplyControl | None = None,
    ) -> ReplyResult:
        """Streams a reply to ``user``, a message already stored."""
        return self._reply(
            user.conversation_id, user, callbacks or StreamCallbacks(), options, control
        )

    def regenerate(
        self,
        assistant_message_id: int,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
        control: ReplyControl | None = None,
    ) -> ReplyResult:
        """A new version of a reply; the earlier versions are kept."""
        old = self.conversations.get_message(assistant_message_id)
        if old.role != "assistant":
            raise ValueError("only a reply can be regenerated")
        if old.parent_id is None:
            raise ValueError("a reply always follows a message")
        parent = self.conversations.get_message(old.parent_id)
        return self._reply(
            old.conversation_id, parent, callbacks or StreamCallbacks(), options, control
        )

    def edit_and_resend(
        self,
        user_message_id: int,
        text: str,
        callbacks: StreamCallbacks | None = None,
        options: ChatOptions | None = None,
        control: ReplyControl | None = None,
    ) -> ReplyResult:
        """A new version of one of the user's messages, answered afresh from there."""
        old = self.conversations.get_message(user_message_id)
        user = self.conversations.add_message(old.conversation_id, old.parent_id, "user", text)
        return self._reply(
            old.conversation_id, user, callbacks or StreamCallbacks(), options, control
        )

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

    def tool_names(
        self, conversation_id: int | None, options: ChatOptions | None = None
    ) -> tuple[str, ...]:
        """The tools a reply offers: this call's, else the chat's, else the model's."""
        if options is not None and options.tools is not None:
            return options.tools
        if conversation_id is not None:
            chosen = parse_names(self.conversations.get_conversation(conversation_id).tools)
            if chosen is not None:
                return chosen
        return parse_names(self.model_settings.get(self.model_name or "").tools) or ()

    def tool_choice(self, options: ChatOptions | None = None) -> ToolChoice:
        """Whether a reply's first round must be a tool call ("required"): this call's
        choice, else the model's setting, else "auto"."""
        if options is not None and options.tool_choice is not None:
            return options.tool_choice
        saved = self.model_settings.get(self.model_name or "").tool_choice
        return "required" if saved == "required" else "auto"

    def begin_reply(self) -> ReplyControl:
        """The Stop handle of the reply about to be asked for (call it where the request
        is made): a Stop that comes before the reply has begun still ends it."""
        control = self._control = ReplyControl()
        return control

    def stop(self) -> None:
        """Stops the reply in progress, between rounds of tool calls too; what was
        written is kept. A call already running finishes (within its tool's time limit);
        calls not yet run are not run. Any thread."""
        control = self._control
        if control is not None:
            control.stop()

    def _reply(
        self,
        conversation_id: int,
        parent: Message,
        callbacks: StreamCallbacks,
        options: ChatOptions | None,
        control: ReplyControl | None = None,
    ) -> ReplyResult:
        control = self._control = control or ReplyControl()
        model = self.model_name
        settings = self.model_settings.get(model or "")
        system_prompt = settings.system_prompt
        sampling = sampling_from(settings)
        if options is not None and options.system_prompt is not None:
            system_prompt = options.system_prompt
        if options is not None and options.max_tokens is not None:
            sampling = replace(sampling, max_tokens=options.max_tokens)
        switches = self.template_switches(conversation_id, options)
        names = self.tool_names(conversation_id, options)
        tools = self.toolbox.tool_set(names, conversation_id) if names else ToolSet(ToolRegistry())
        notes = list(tools.problems)
        required = bool(tools) and self.tool_choice(options) == "required"
        runner = CallRunner(
            self.conversations,
            self.approvals,
            control,
            approve=callbacks.approve,
            on_result=callbacks.on_tool_result,
        )
        turns: list[Message] = []
        hook = options.documents if options and options.documents else None
        if hook is None and self.documents_for is not None:
            hook = self.documents_for(conversation_id)
        documents = hook(parent) if hook is not None else None
        for round_number in range(self.max_tool_rounds + 1):
            # The leaf may not be the parent yet (a new version of an older turn).
            history = _path_to(
                self.conversations.active_path(conversation_id), parent, self.conversations
            )
            round_options = dict(switches)
            grammar = settings.grammar or None
            if tools:
                round_options["tools"] = tools.registry.specs()
                if required and round_number == 0:
                    grammar = self._call_grammar(tools)
            result, calls = self._generate_turn(
                conversation_id,
                parent,
                with_documents(prompt_messages(system_prompt, history), documents),
                sampling,
                round_options,
                grammar,
                callbacks,
                control,
            )
            turns.append(result.message)
            if result.error is not None or not calls or control.stopped:
                return replace(result, turns=tuple(turns), note=_joined(notes))
            untrusted = (
                options is not None and (options.untrusted_context or documents is not None)
            ) or untrusted_in_turn(history, own_output_tools(tools.registry))
            last_round = round_number == self.max_tool_rounds
            limit = _round_limit_note(self.max_tool_rounds) if last_round else None
            answered = runner.run_calls(
                result.message, calls, tools.registry, untrusted=untrusted, skip_all=limit
            )
            turns += answered
            if limit is not None:
                notes.append(limit)
            if limit is not None or control.stopped:
                return replace(result, turns=tuple(turns), note=_joined(notes))
            parent = answered[-1]
        raise AssertionError("unreachable: the last round returns")

    def _call_grammar(self, tools: ToolSet) -> str:
        """The grammar of "the reply is one call to one of these tools"."""
        info = self.engine.info
        family = cast("Family | None", info.family if info else None)
        return call_grammar(grammar_tools(tools.registry), tool_call_format(family))

    def _generate_turn(
        self,
        conversation_id: int,
        parent: Message,
        messages: list[dict[str, Any]],
        sampling: SamplingParams,
        switches: dict[str, Any],
        grammar: str | None,
        callbacks: StreamCallbacks,
        control: ReplyControl,
    ) -> tuple[ReplyResult, list[ToolCall]]:
        """One assistant turn, stored as it streams; the calls it ended with (none when
        it failed or was stopped)."""
        model = self.model_name
        reply = self.conversations.add_message(
            conversation_id, parent.id, "assistant", "", model=model, status="streaming"
        )
        if model:
            self.conversations.set_conversation_model(conversation_id, model)
        ticket = control.new_ticket()
        callbacks.on_started(reply)
        writer = _ReplyWriter(self.conversations, reply.id, self._clock)
        calls: list[ToolCall] = []

        def on_tool_call(call: ToolCall) -> None:
            calls.append(call)
            callbacks.on_tool_call(call)

        def on_text(text: str) -> None:
            writer.append(text)
            callbacks.on_text(text)

        def on_thinking(text: str) -> None:
            writer.append_thinking(text)
            callbacks.on_thinking(text)

        try:
            stats = self._scheduler.generate(
                messages,
                sampling,
                on_text,
                on_prompt=callbacks.on_prompt,
                on_reload=callbacks.on_reload,
                on_thinking=on_thinking,
                on_tool_call=on_tool_call,
                options=switches,
                grammar=grammar,
                ticket=ticket,
            )
        except EngineCrashed as error:
            self.engine.forget_crashed()
            message = f"{error}. The reply so far is kept; send again to reload the model."
            writer.finish("error", error=message)
            return ReplyResult(self.conversations.get_message(reply.id), None, message), []
        except EngineError as error:
            writer.finish("error", error=str(error))
            return ReplyResult(self.conversations.get_message(reply.id), None, str(error)), []
        except Exception as error:  # the store failed under the reply (disk full, I/O)
            ticket.cancel()  # never leave the model writing to nobody
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
            return ReplyResult(shown, None, message), []
        except BaseException:
            writer.finish("interrupted")
            raise
        stopped = stats.finish_reason == "cancelled" or control.stopped
        if stopped:
            calls = []  # never run a call from a reply the user stopped
        writer.finish("stopped" if stopped else "complete", stats=stats, calls=calls)
        return ReplyResult(self.conversations.get_message(reply.id), stats), calls


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
        self,
        status: str,
        *,
        stats: GenerationStats | None = None,
        error: str | None = None,
        calls: list[ToolCall] | None = None,
    ) -> None:
        fields: dict[str, object] = {
            "content": self.text,
            "reasoning": self.reasoning,
            "status": status,
            "thinking_ms": self.thinking_ms,
        }
        if error is not None:
            fields["error"] = error
        if calls:
            fields["tool_calls"] = stored_calls(calls)
        # Both zero when a cancel cut it short; a remote server that reports no usage
        # gives the reply's tokens alone.
        if stats is not None and (stats.prompt_tokens or stats.completion_tokens):
            fields.update(
                prompt_tokens=stats.prompt_tokens,
                completion_tokens=stats.completion_tokens,
                ttft_ms=stats.ttft_ms,
                tokens_per_s=stats.tokens_per_s,
            )
        self._conversations.update_message(self._message_id, **fields)  # type: ignore[arg-type]


def _joined(notes: list[str]) -> str | None:
    return " ".join(notes) if notes else None


def _round_limit_note(rounds: int) -> str:
    plural = "s" if rounds != 1 else ""
    return (
        f"Hearth stopped the model after {rounds} round{plural} of tool calls in one reply;"
        " the calls it asked for next did not run. Send a message to let it go on."
    )


def _path_to(path: list[Message], parent: Message, store: ConversationStore) -> list[Message]:
    """The messages from the first one down to ``parent`` inclusive."""
    for index, message in enumerate(path):
        if message.id == parent.id:
            return path[: index + 1]
    chain = [parent]
    while chain[-1].parent_id is not None:
        chain.append(store.get_message(chain[-1].parent_id))
    return list(reversed(chain))


def model_key(model_path: str, models_dir: Path | None = None) -> str:
    """The name a model's settings and replies are kept under, for models folder ``models_dir``.

    A file in the folder: its path there (``owner/repo/file.gguf``); the starter model:
    its file name; any other file: its absolute path (see :mod:`app.library.model_keys`).
    With a :class:`~app.hearth.Hearth`, ``hearth.model_key(path)`` knows the folder.
    """
    return library_model_key(model_path, models_dir)
