"""Runs model loads and replies on a worker thread and reports back through signals.

The GUI thread never waits on the model: it asks through queued signals, and this
object, living on its own QThread, calls the core and emits what happened. Stop and
cancel-load go straight to the core, whose methods for them are safe from any thread.

A load is checked before it starts (:mod:`app.library.preflight`): a model that cannot
fit comes back as ``load_refused`` and nothing loads until the window asks again with
the user's choice. Cancel is connected directly (it must not queue behind the load it
is meant to stop) and goes to the engine's ticket for the load, which exists from the
moment the load is asked for.

A reply with tools reports each call (``tool_call``) and its result (``tool_result``).
A call that needs the user's say blocks this thread in :meth:`EngineWorker._approve`:
it emits ``approval_requested`` and waits on an event until the GUI thread answers with
:meth:`EngineWorker.answer_approval`. Stop answers "deny" and ends the wait (the chat
service's stop then ends the reply's rounds), so the thread never waits on a window
that is gone.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.chat.service import ReplyResult, StreamCallbacks
from app.chat.tool_loop import ReplyControl
from app.engine.errors import EngineError, LoadCancelled
from app.engine.protocol import ModelInfo
from app.engine.request import Request
from app.engine.scheduler import QueueCancelled, Scheduler
from app.engine.tool_calls import ToolCall
from app.hearth import Hearth
from app.library.gguf_header import GGUFError
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.remote.connect import remote_load_request
from app.remote.refs import is_remote_ref
from app.store.records import Message
from app.tools.approval import ApprovalRequest, Decision
from app.tools.base import ToolResult

log = logging.getLogger(__name__)


class EngineWorker(QObject):
    """Signals:

    - ``load_progress(float)``: 0..1 while a model loads.
    - ``loaded(object)``: the ``ModelInfo`` of the model now in use.
    - ``load_failed(str, bool)``: why loading failed; True if the user cancelled it.
    - ``load_refused(object)``: the ``ModelDoesNotFit`` of a model refused before loading.
    - ``reply_started(object)``: the stored, still empty reply ``Message``.
    - ``text(str)``: the next piece of the reply's answer.
    - ``thinking(str)``: the next piece of the model's thinking before its answer.
    - ``prompt_ready(int, int)``: prompt tokens, and how many old messages were left out.
    - ``reloading()``: the engine died earlier and is being reloaded for this request.
    - ``reply_finished(object)``: the ``ReplyResult`` (its ``note`` says what else the
      user should know, such as tools that could not be had).
    - ``tool_call(object)``: a ``ToolCall`` the model has just written.
    - ``tool_result(object, object)``: the call and its ``ToolResult`` (run, declined,
      skipped or botched).
    - ``approval_requested(object)``: an ``ApprovalRequest``; the reply waits until
      :meth:`answer_approval` is called with it (or Stop).
    """

    load_progress = Signal(float)
    loaded = Signal(object)
    load_failed = Signal(str, bool)
    load_refused = Signal(object)
    reply_started = Signal(object)
    text = Signal(str)
    thinking = Signal(str)
    prompt_ready = Signal(int, int)
    reloading = Signal()
    reply_finished = Signal(object)
    tool_call = Signal(object)
    tool_result = Signal(object, object)
    approval_requested = Signal(object)

    # Requests from the GUI thread, delivered queued to this object's thread.
    load_requested = Signal(str, object, object)  # path, LoadChoice, ticket: request_load()
    # Each carries the reply's Stop handle, made when the request was (ChatService.begin_reply).
    send_requested = Signal(object, object)  # the stored user message, its ReplyControl
    regenerate_requested = Signal(int, object)
    edit_requested = Signal(int, str, object)

    def __init__(self, hearth: Hearth) -> None:
        super().__init__()
        self._hearth = hearth
        self.load_requested.connect(self._load)
        self.send_requested.connect(self._send)
        self.regenerate_requested.connect(self._regenerate)
        self.edit_requested.connect(self._edit)
        # The question the reply waits on, if any, and whether Stop came for this reply.
        self._asking_lock = threading.Lock()
        self._asking: _Question | None = None
        self._stop_asked = False

    def stop_reply(self) -> None:
        """Any thread: stops the reply in progress, keeping what was written; a call
        waiting for the user's say is declined."""
        self._hearth.chat.stop()
        with self._asking_lock:
            self._stop_asked = True
            question = self._asking
        if question is not None:
            question.answer(Decision.DENY)

    def answer_approval(self, request: ApprovalRequest, decision: Decision) -> None:
        """GUI thread: the user's answer to ``request``; an answer to a question no
        longer asked (Stop came first) is dropped."""
        with self._asking_lock:
            question = self._asking
        if question is not None and question.request is request:
            question.answer(decision)

    def request_load(self, model_path: str, choice: LoadChoice = LoadChoice.CHECK) -> None:
        """GUI thread: loads a model by path (or name); ``choice`` after a refusal."""
        # The engine's ticket for this load exists from now on, so Cancel reaches it even
        # before the worker has begun (a cancel meant for an earlier load never carries over).
        ticket = self._hearth.engine.begin_load()
        self.load_requested.emit(model_path, choice, ticket)

    def cancel_load(self) -> None:
        """Any thread: abandons the load in progress; the previous model stays."""
        self._hearth.engine.cancel_load()

    @Slot(str, object, object)
    def _load(self, model_path: str, choice: LoadChoice, ticket: Request) -> None:
        """Loads a model with its saved settings, once the preflight check allows it."""
        try:
            if ticket.cancelled:
                raise LoadCancelled("Loading was cancelled")
            if is_remote_ref(model_path):  # a server's model: no file, no memory to check
                request = remote_load_request(model_path, self._hearth.paths.config)
            else:
                model = self._hearth.resolve_model(model_path)
                request = self._hearth.load_request(model, choice)
            # A switch waits for the reply in flight (an API client's, say) to finish.
            with Scheduler.of(self._hearth.engine).turn("window", ticket):
                info: ModelInfo = self._hearth.engine.load(request, self.load_progress.emit, ticket)
        except ModelDoesNotFit as refusal:
            self.load_refused.emit(refusal)
            return
        except (LoadCancelled, QueueCancelled):
            self.load_failed.emit("Loading was cancelled.", True)
            return
        except (EngineError, LookupError, GGUFError) as error:
            self.load_failed.emit(str(error), False)
            return
        except Exception as error:  # keep the worker alive whatever happens
            log.exception("model load failed")
            self.load_failed.emit(f"Could not load the model: {error}", False)
            return
        self.loaded.emit(info)

    def _callbacks(self) -> StreamCallbacks:
        return StreamCallbacks(
            on_text=self.text.emit,
            on_thinking=self.thinking.emit,
            on_started=self._started,
            on_prompt=self.prompt_ready.emit,
            on_reload=self.reloading.emit,
            on_tool_call=self._tool_call,
            on_tool_result=self._tool_result,
            approve=self._approve,
        )

    def _tool_call(self, call: ToolCall) -> None:
        self.tool_call.emit(call)

    def _tool_result(self, call: ToolCall, result: ToolResult) -> None:
        self.tool_result.emit(call, result)

    def _approve(self, request: ApprovalRequest) -> Decision:
        """On this thread: ask the window, and wait for the user's answer or Stop."""
        question = _Question(request)
        with self._asking_lock:
            if self._stop_asked:
                return Decision.DENY
            self._asking = question
        try:
            self.approval_requested.emit(request)
            return question.wait()
        finally:
            with self._asking_lock:
                self._asking = None

    def _started(self, message: Message) -> None:
        self.reply_started.emit(message)

    @Slot(object, object)
    def _send(self, user: Message, control: ReplyControl) -> None:
        chat = self._hearth.chat
        self._finish(lambda: chat.answer(user, self._callbacks(), control=control))

    @Slot(int, object)
    def _regenerate(self, message_id: int, control: ReplyControl) -> None:
        chat = self._hearth.chat
        self._finish(lambda: chat.regenerate(message_id, self._callbacks(), control=control))

    @Slot(int, str, object)
    def _edit(self, message_id: int, text: str, control: ReplyControl) -> None:
        chat = self._hearth.chat
        self._finish(
            lambda: chat.edit_and_resend(message_id, text, self._callbacks(), control=control)
        )

    def _finish(self, job) -> None:  # type: ignore[no-untyped-def]
        with self._asking_lock:
            self._stop_asked = False  # a new reply: an earlier Stop is not for it
        try:
            result: ReplyResult = job()
        except Exception as error:
            log.exception("reply failed")
            result = ReplyResult(_placeholder(), None, f"The reply failed: {error}")
        self.reply_finished.emit(result)


class _Question:
    """One call waiting for the user's say: answered once, from any thread."""

    def __init__(self, request: ApprovalRequest) -> None:
        self.request = request
        self._answered = threading.Event()
        self._decision = Decision.DENY

    def answer(self, decision: Decision) -> None:
        if not self._answered.is_set():
            self._decision = decision
            self._answered.set()

    def wait(self) -> Decision:
        self._answered.wait()
        return self._decision


def _placeholder() -> Message:
    return Message(
        id=-1,
        conversation_id=-1,
        parent_id=None,
        role="assistant",
        content="",
        model=None,
        created_at=0.0,
        updated_at=0.0,
        status="error",
        prompt_tokens=None,
        completion_tokens=None,
        ttft_ms=None,
        tokens_per_s=None,
        error=None,
    )


class EngineThread:
    """Owns the worker's QThread; ``shutdown`` stops the reply and any load, then the
    thread. The model's host ends with ``Hearth.close`` (``Engine.unload``)."""

    def __init__(self, hearth: Hearth) -> None:
        self.thread = QThread()
        self.thread.setObjectName("hearth-engine-worker")
        self.worker = EngineWorker(hearth)
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def shutdown(self) -> None:
        self.worker.stop_reply()
        self.worker.cancel_load()
        self.thread.quit()
        self.thread.wait(10_000)


__all__ = ["EngineThread", "EngineWorker"]
