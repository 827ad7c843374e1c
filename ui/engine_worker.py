"""Runs model loads and replies on a worker thread and reports back through signals.

The GUI thread never waits on the model: it asks through queued signals, and this
object, living on its own QThread, calls the core and emits what happened. Stop and
cancel-load go straight to the core, whose methods for them are safe from any thread.

A load is checked before it starts (:mod:`app.library.preflight`): a model that cannot
fit comes back as ``load_refused`` and nothing loads until the window asks again with
the user's choice. Cancel is connected directly (it must not queue behind the load it
is meant to stop) and goes to the engine's ticket for the load, which exists from the
moment the load is asked for.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.chat.service import ReplyResult, StreamCallbacks
from app.engine.errors import EngineError, LoadCancelled
from app.engine.protocol import ModelInfo
from app.engine.request import Request
from app.engine.scheduler import QueueCancelled, Scheduler
from app.hearth import Hearth
from app.library.gguf_header import GGUFError
from app.library.preflight import LoadChoice, ModelDoesNotFit
from app.store.records import Message

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
    - ``reply_finished(object)``: the ``ReplyResult``.
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

    # Requests from the GUI thread, delivered queued to this object's thread.
    load_requested = Signal(str, object, object)  # path, LoadChoice, ticket: request_load()
    send_requested = Signal(int, str)
    regenerate_requested = Signal(int)
    edit_requested = Signal(int, str)

    def __init__(self, hearth: Hearth) -> None:
        super().__init__()
        self._hearth = hearth
        self.load_requested.connect(self._load)
        self.send_requested.connect(self._send)
        self.regenerate_requested.connect(self._regenerate)
        self.edit_requested.connect(self._edit)

    def stop_reply(self) -> None:
        """Any thread: stops the reply in progress, keeping what was written."""
        self._hearth.chat.stop()

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
        )

    def _started(self, message: Message) -> None:
        self.reply_started.emit(message)

    @Slot(int, str)
    def _send(self, conversation_id: int, text: str) -> None:
        self._finish(lambda: self._hearth.chat.send(conversation_id, text, self._callbacks()))

    @Slot(int)
    def _regenerate(self, message_id: int) -> None:
        self._finish(lambda: self._hearth.chat.regenerate(message_id, self._callbacks()))

    @Slot(int, str)
    def _edit(self, message_id: int, text: str) -> None:
        self._finish(lambda: self._hearth.chat.edit_and_resend(message_id, text, self._callbacks()))

    def _finish(self, job) -> None:  # type: ignore[no-untyped-def]
        try:
            result: ReplyResult = job()
        except Exception as error:
            log.exception("reply failed")
            result = ReplyResult(_placeholder(), None, f"The reply failed: {error}")
        self.reply_finished.emit(result)


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
