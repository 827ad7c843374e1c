"""The flow of a conversation on screen: send, stream, stop, regenerate, edit, versions.

Holds which conversation is shown and which reply is streaming; asks the engine
worker for replies and turns its signals into changes in the chat view. It also keeps
the thinking switches by the message box in step with the chat shown: a chat's choice
is stored with it, and a new chat starts from the model's settings. The tools menu works
the same way.

A reply with tools goes in rounds: each call becomes a block under the turn that made
it, its result fills the block, and the next round continues the reply below. A call
that needs the user's say opens the approval dialog (never blocking the GUI thread);
the answer goes back to the worker, which waits for it. Stop withdraws the question.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.chat.service import ReplyResult
from app.chat.tool_loop import DECLINED, STOPPED
from app.engine.protocol import ModelInfo
from app.engine.tool_calls import ToolCall
from app.hearth import Hearth
from app.store.errors import StoreError
from app.store.records import Message
from app.tools.approval import ApprovalRequest, Decision
from app.tools.base import ToolResult
from app.tools.toolbox import parse_names
from ui.chat.approval_dialog import ApprovalDialog
from ui.chat.chat_view import ChatView
from ui.chat.composer import Composer
from ui.chat.context_meter import ContextMeter
from ui.chat.foreign_replies import ForeignReplies
from ui.chat.message_widget import VersionInfo
from ui.engine_worker import EngineWorker

TITLE_LENGTH = 60


class ChatController(QObject):
    """Signals: ``conversations_changed()`` (a chat was created or renamed),
    ``busy_changed(bool)``, ``reload_requested()``, ``notice(str)``: what the user should
    know beyond a reply (a tool that could not be had), also shown under the reply."""

    conversations_changed = Signal()
    busy_changed = Signal(bool)
    reload_requested = Signal()
    notice = Signal(str)

    def __init__(
        self,
        hearth: Hearth,
        worker: EngineWorker,
        view: ChatView,
        composer: Composer,
        meter: ContextMeter,
    ) -> None:
        super().__init__(view)
        self.hearth = hearth
        self.worker = worker
        self.view = view
        self.composer = composer
        self.meter = meter
        self.conversation_id: int | None = None
        self.streaming_conversation: int | None = None
        self.model_ready = False
        self._prompt_tokens = 0
        self._dropped = 0
        self._context = 0
        self.model_names: dict[str, str] = {}
        self._live: _LiveReply | None = None
        self.foreign = ForeignReplies(hearth.conversations)
        self.approval_dialog: ApprovalDialog | None = None

        composer.send_requested.connect(self.send)
        composer.stop_requested.connect(self.stop)
        view.regenerate_clicked.connect(self.regenerate)
        view.edit_submitted.connect(self.edit)
        view.version_selected.connect(self.select_version)
        view.reload_clicked.connect(self.reload_requested)
        worker.reply_started.connect(self._reply_started)
        worker.text.connect(self._text)
        worker.thinking.connect(self._thinking)
        composer.thinking_controls.choice_changed.connect(self._thinking_choice)
        composer.tool_controls.choice_changed.connect(self._tools_choice)
        worker.prompt_ready.connect(self._prompt_ready)
        worker.reply_finished.connect(self._reply_finished)
        worker.tool_call.connect(self._tool_call)
        worker.tool_result.connect(self._tool_result)
        worker.approval_requested.connect(self._approval_requested)

    @property
    def busy(self) -> bool:
        return self.streaming_conversation is not None

    # Showing conversations ---------------------------------------------------------------

    def show_conversation(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self._show_thinking_choice()
        self._show_tools_choice()
        if conversation_id is None:
            self.view.show_messages([], {})
            self.foreign.follow([], None)
            self.meter.set_usage(0, self._context, 0)
            return
        path = self.hearth.conversations.active_path(conversation_id)
        versions = self._versions_of(path)
        self.view.show_messages(path, versions, self.model_names, busy=self.busy)
        live = self._live
        self.foreign.follow(path, live.message.id if live is not None else None)
        if live is not None and live.message.conversation_id == conversation_id:
            # Back to the chat whose reply is streaming: it goes on where it is now.
            self.view.resume_reply(live.message.id, "".join(live.answer), "".join(live.thinking))
            for call in live.calls:  # made in this round, not stored with it yet
                self.view.add_tool_call(call)
            dialog = self.approval_dialog
            if dialog is not None and dialog.request.conversation_id == conversation_id:
                self.view.set_tool_waiting(dialog.request.call.id)
        used = next(
            (
                (m.prompt_tokens or 0) + (m.completion_tokens or 0)
                for m in reversed(path)
                if m.role == "assistant" and m.prompt_tokens
            ),
            0,
        )
        self.meter.set_usage(used, self._context, 0)

    def new_chat(self) -> None:
        self.show_conversation(None)
        self.composer.edit.setFocus()

    def poll_foreign(self) -> None:
        """Shows how far the replies another process writes in this chat have come."""
        if not self.foreign.following:
            return
        try:
            changed = self.foreign.poll()
            for message in changed:
                if message.conversation_id != self.conversation_id:
                    continue
                widgets = self.view.widgets
                last = bool(widgets) and widgets[-1].message.id == message.id
                self.view.show_stored_reply(
                    message, self._versions(message), can_act=last and not self.busy
                )
        except (StoreError, sqlite3.Error):  # read again at the next poll
            return

    def set_context_size(self, n_ctx: int) -> None:
        self._context = n_ctx
        self.meter.set_usage(self._prompt_tokens, n_ctx, self._dropped)

    def _versions(self, message: Message) -> VersionInfo:
        return self._versions_of([message])[message.id]

    def _versions_of(self, messages: list[Message]) -> dict[int, VersionInfo]:
        found = self.hearth.conversations.version_ids([m.id for m in messages])
        return {m.id: _version_info(m.id, found.get(m.id, [])) for m in messages}

    # Actions ------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.busy or not self.model_ready:
            return
        if self.conversation_id is None:
            title = text.splitlines()[0][:TITLE_LENGTH]
            model = self.hearth.chat.model_name
            self.conversation_id = self.hearth.conversations.create_conversation(title, model).id
            self._store_thinking_choice()
            self._store_tools_choice()
            self.conversations_changed.emit()
        # Stored now, not when the worker gets to it: a reply may wait behind a model load.
        try:
            user = self.hearth.chat.add_user_message(self.conversation_id, text)
        except (StoreError, sqlite3.Error, ValueError) as error:
            self.composer.edit.setPlainText(text)
            self.notice.emit(f"Your message could not be saved ({error}); it is back in the box.")
            return
        self._begin(self.conversation_id)
        self.worker.send_requested.emit(user, self.hearth.chat.begin_reply())

    def regenerate(self, message_id: int) -> None:
        if self.busy or not self.model_ready or self.conversation_id is None:
            return
        self._begin(self.conversation_id)
        self.worker.regenerate_requested.emit(message_id, self.hearth.chat.begin_reply())

    def edit(self, message_id: int, text: str) -> None:
        if self.busy or not self.model_ready or self.conversation_id is None:
            return
        self._begin(self.conversation_id)
        self.worker.edit_requested.emit(message_id, text, self.hearth.chat.begin_reply())

    def stop(self) -> None:
        if self.busy:
            self._withdraw_approval()  # the worker declines the call it waits on
            self.worker.stop_reply()

    def select_version(self, message_id: int) -> None:
        if self.busy or self.conversation_id is None:
            return
        self.hearth.conversations.select_version(message_id)
        self.show_conversation(self.conversation_id)

    # Thinking switches ----------------------------------------------------------------------

    def set_model_features(self, info: ModelInfo | None) -> None:
        """Shows the thinking switches the loaded model's template offers, with its defaults."""
        controls = self.composer.thinking_controls
        settings = self.hearth.model_settings.get(self.hearth.chat.model_name or "")
        controls.set_model(
            toggle=bool(info and info.supports_thinking_toggle),
            effort=bool(info and info.supports_effort),
            default_thinking=(
                settings.thinking
                if settings.thinking is not None
                else (info.thinking_default if info else None)
            ),
            default_effort=settings.effort,
        )
        self.composer.tool_controls.set_model_default(parse_names(settings.tools) or ())

    def _show_thinking_choice(self) -> None:
        controls = self.composer.thinking_controls
        if self.conversation_id is None:
            controls.set_choice(None, None)  # a new chat starts from the model's settings
            return
        conversation = self.hearth.conversations.get_conversation(self.conversation_id)
        controls.set_choice(conversation.thinking, conversation.effort)

    def _thinking_choice(self, thinking: bool | None, effort: str | None) -> None:
        # A new chat keeps the choice in the controls until its first message creates it.
        if self.conversation_id is not None:
            self.hearth.conversations.set_thinking(self.conversation_id, thinking, effort)

    def _store_thinking_choice(self) -> None:
        controls = self.composer.thinking_controls
        if self.conversation_id is not None and (
            controls.thinking is not None or controls.effort is not None
        ):
            self.hearth.conversations.set_thinking(
                self.conversation_id, controls.thinking, controls.effort
            )

    # Tool switches ---------------------------------------------------------------------------

    def _show_tools_choice(self) -> None:
        controls = self.composer.tool_controls
        if self.conversation_id is None:
            controls.set_choice(None)  # a new chat starts from the model's settings
            return
        conversation = self.hearth.conversations.get_conversation(self.conversation_id)
        controls.set_choice(parse_names(conversation.tools))

    def _tools_choice(self, names: tuple[str, ...] | None) -> None:
        # A new chat keeps the choice in the menu until its first message creates it.
        if self.conversation_id is not None:
            self.hearth.conversations.set_tools(self.conversation_id, names)

    def _store_tools_choice(self) -> None:
        choice = self.composer.tool_controls.choice
        if self.conversation_id is not None and choice is not None:
            self.hearth.conversations.set_tools(self.conversation_id, choice)

    def _begin(self, conversation_id: int) -> None:
        self.streaming_conversation = conversation_id
        self.composer.set_streaming(True)
        self.view.set_busy(True)
        self.busy_changed.emit(True)

    # Worker events --------------------------------------------------------------------------

    def _reply_started(self, message: Message) -> None:
        # The reply so far is kept here too, so a chat shown again mid-reply catches up.
        previous, self._live = self._live, _LiveReply(message)
        self.foreign.forget(message.id)  # it may have been shown before it began here
        if message.conversation_id != self.conversation_id:
            return
        if previous is not None and self.view.widget_for(previous.message.id) is not None:
            # The next round of this reply, after its calls' results: it goes on below.
            self.view.finish_round(self.hearth.conversations.get_message(previous.message.id))
            self.view.begin_reply(message, self.model_names, continues=True)
            return
        path = self.hearth.conversations.active_path(message.conversation_id)
        if self.view.shown_ids() == [m.id for m in path[:-2]]:
            # A plain send: add the new question and the reply below what is there.
            self.view.add_message(path[-2], self.model_names)
        else:
            # A new version of an older turn: the path changed, show it afresh.
            versions = self._versions_of(path[:-1])
            self.view.show_messages(path[:-1], versions, self.model_names, busy=True)
            self.foreign.follow(path[:-1], message.id)
        after_results = len(path) > 1 and path[-2].role == "tool"  # a later round, again
        self.view.begin_reply(message, self.model_names, continues=after_results)

    def _text(self, text: str) -> None:
        if self._live is not None:
            self._live.answer.append(text)
        if self.streaming_conversation == self.conversation_id:
            self.view.append_text(text)

    def _thinking(self, text: str) -> None:
        if self._live is not None:
            self._live.thinking.append(text)
        if self.streaming_conversation == self.conversation_id:
            self.view.append_thinking(text)

    def _tool_call(self, call: ToolCall) -> None:
        if self._live is not None:
            self._live.calls.append(call)
        if self.streaming_conversation == self.conversation_id:
            self.view.add_tool_call(call)

    def _tool_result(self, call: ToolCall, result: ToolResult) -> None:
        if self.streaming_conversation == self.conversation_id:
            images = tuple(str(path) for path in result.images)
            self.view.set_tool_result(call.id, _outcome(call, result), result.text, images)

    def _approval_requested(self, request: ApprovalRequest) -> None:
        """Asks the user, without blocking anything; the worker waits for the answer."""
        self._withdraw_approval()
        if request.conversation_id == self.conversation_id:
            self.view.set_tool_waiting(request.call.id)
        dialog = ApprovalDialog(request, self.view.window())
        dialog.decided.connect(functools.partial(self._answer_approval, request))
        self.approval_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _answer_approval(self, request: ApprovalRequest, decision: Decision) -> None:
        if self.approval_dialog is not None and self.approval_dialog.request is request:
            self.approval_dialog = None
        self.worker.answer_approval(request, decision)

    def begin_shutdown(self) -> None:
        """The window closes: no question stays open (the worker's stop declines it)."""
        self._withdraw_approval()

    def _withdraw_approval(self) -> None:
        dialog, self.approval_dialog = self.approval_dialog, None
        if dialog is not None:
            dialog.withdraw()

    def _prompt_ready(self, tokens: int, dropped: int) -> None:
        self._prompt_tokens, self._dropped = tokens, dropped
        self.meter.set_usage(tokens, self._context, dropped)

    def _reply_finished(self, result: ReplyResult) -> None:
        conversation = self.streaming_conversation
        self.streaming_conversation = None
        self._live = None
        self._withdraw_approval()  # the reply is over: nothing waits for an answer now
        if result.note:
            self.notice.emit(result.note)
        self.composer.set_streaming(False)
        self.view.set_busy(False)
        self.busy_changed.emit(False)
        if result.stats is not None:
            used = result.stats.prompt_tokens + result.stats.completion_tokens
            self.meter.set_usage(used, self._context, result.stats.dropped_messages)
        self.conversations_changed.emit()
        if conversation is None or conversation != self.conversation_id:
            return
        final = result.message
        if self.view.widget_for(final.id) is not None:
            if result.error is None or final.status != "error":
                final = self.hearth.conversations.get_message(final.id)
            try:
                versions = self._versions(final)
            except (StoreError, sqlite3.Error):  # the store failed under this reply: still show it
                versions = VersionInfo(index=1, count=1, previous_id=None, next_id=None)
            self.view.attach_turns(result.turns)  # each result as stored, exact outcome
            self.view.finish_reply(final, versions)
            self.view.set_reply_note(final.id, result.note)
        else:
            self.show_conversation(conversation)


@dataclass
class _LiveReply:
    """The reply being streamed, as far as it has come."""

    message: Message
    answer: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)  # this round's


def _outcome(call: ToolCall, result: ToolResult) -> str:
    """How a call went, as the reply runs (the stored outcome replaces it at the end)."""
    if call.error:
        return "invalid"
    if result.text == DECLINED:
        return "declined"
    if result.text == STOPPED:
        return "skipped"
    return "error" if result.is_error else "ok"


def _version_info(message_id: int, ids: list[int]) -> VersionInfo:
    """Where a message stands among its versions (``ids``, oldest first)."""
    index = ids.index(message_id) if message_id in ids else 0
    return VersionInfo(
        index=index + 1,
        count=max(1, len(ids)),
        previous_id=ids[index - 1] if index > 0 else None,
        next_id=ids[index + 1] if index + 1 < len(ids) else None,
    )
