"""Think longer from the chat: the run off the GUI thread, its progress, Stop and result.

The run (``app.think.longer``) goes on this controller's background runner; the chat is
busy meanwhile, as for any reply, so the composer's Stop (and Escape) reach it through
the chat service's Stop handle. Progress shows under the reply and in the status line;
the chosen answer then shows as the reply's new version, with the reason under it, and
the button's menu opens the candidates.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.hearth import Hearth
from app.store.think_runs import ThinkRunStore
from app.think.longer import DEFAULT_BUDGET_S, ThinkCallbacks, ThinkLonger, ThinkResult
from ui.background import BackgroundRunner, error_text
from ui.chat.chat_view import ChatView
from ui.chat.composer import Composer
from ui.chat.controller import ChatController
from ui.chat.message_widget import MessageWidget
from ui.think.candidates_dialog import CandidatesDialog


class ThinkLongerController(QObject):
    """Signals: ``finished(object)``: the ``ThinkResult`` of a run (or None if it failed)."""

    finished = Signal(object)

    def __init__(
        self,
        hearth: Hearth,
        chat: ChatController,
        view: ChatView,
        composer: Composer,
        say: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.hearth = hearth
        self.chat = chat
        self.view = view
        self.composer = composer
        self._say = say
        self.budget_s = DEFAULT_BUDGET_S
        self._tasks = BackgroundRunner(self, max_threads=1, name="hearth-think-longer")
        self.running: int | None = None  # the reply being thought about
        self.dialog: CandidatesDialog | None = None
        self._runs = ThinkRunStore(hearth.database)
        view.think_longer_clicked.connect(self.think_longer)
        view.candidates_requested.connect(self.show_candidates)
        # A version think longer made says so, with its reason, whenever it is shown
        # (message_shown is the chat view's hook for add-ons, shared with documents).
        shown = getattr(view, "message_shown", None)
        if shown is not None:
            shown.connect(self._message_shown)

    def think_longer(self, message_id: int, count: int) -> None:
        """Starts a run on the reply ``message_id`` with ``count`` candidates."""
        chat = self.chat
        conversation = chat.conversation_id
        if chat.busy or conversation is None:
            return
        if not chat.model_ready:
            self._say("Load a model first.")
            return
        control = self.hearth.chat.begin_reply()
        self.running = message_id
        self._busy(conversation)
        progress = self._tasks.relay(self._progress)

        def started_reply(_message: object) -> None:
            progress("Thinking longer: asking again with more thinking…")

        callbacks = ThinkCallbacks(
            on_candidate=lambda position, of, heat: progress(
                f"Thinking longer: candidate {position} of {of} (temperature {heat:.2f})…"
            ),
            on_judging=lambda: progress("Thinking longer: the model is comparing the answers…"),
        )
        callbacks.reply.on_started = started_reply
        thinker = ThinkLonger(self.hearth.chat, ThinkRunStore(self.hearth.database))
        budget = self.budget_s
        progress(f"Thinking longer: {count} candidates…")
        self._tasks.run(
            lambda: thinker.run(
                message_id, count, budget_s=budget, callbacks=callbacks, control=control
            ),
            on_done=lambda result: self._done(conversation, message_id, result),
            on_error=lambda error: self._failed(conversation, message_id, error),
        )

    def _message_shown(self, widget: MessageWidget) -> None:
        message = widget.message
        if message.role != "assistant" or message.status == "streaming":
            return
        run = self._runs.for_message(message.id)
        if run is not None:
            widget.set_note(_note(run.method, len(run.candidates), run.reason))

    def _busy(self, conversation: int) -> None:
        chat = self.chat
        chat.streaming_conversation = conversation
        self.composer.set_streaming(True)
        self.view.set_busy(True)
        chat.busy_changed.emit(True)

    def _idle(self) -> None:
        chat = self.chat
        self.running = None
        chat.streaming_conversation = None
        self.composer.set_streaming(False)
        self.view.set_busy(False)
        chat.busy_changed.emit(False)

    def _progress(self, item: object) -> None:
        text = str(item)
        if self.running is not None:
            self.view.set_reply_note(self.running, text)
        self._say(text)

    def _done(self, conversation: int, source_id: int, result: ThinkResult) -> None:
        self._idle()
        if self.chat.conversation_id == conversation:
            self.chat.show_conversation(conversation)
        if result.message is not None and not result.stopped and result.error is None:
            note = _note(result.method, len(result.candidates), result.reason)
            self.view.set_reply_note(result.message.id, note)
            self._say(note)
        else:
            note = result.reason or result.error or "Think longer made no new version."
            self.view.set_reply_note(source_id, note)
            self._say(note)
        self.chat.conversations_changed.emit()
        self.finished.emit(result)

    def _failed(self, conversation: int, source_id: int, error: Exception) -> None:
        self._idle()
        if self.chat.conversation_id == conversation:
            self.chat.show_conversation(conversation)
        text = f"Think longer failed: {error_text(error)}"
        self.view.set_reply_note(source_id, text)
        self._say(text)
        self.finished.emit(None)

    def show_candidates(self, message_id: int) -> None:
        """Opens the candidates of the run that made this version, if one did."""
        run = ThinkRunStore(self.hearth.database).for_message(message_id)
        if run is None:
            self._say("This version was not made by Think longer: it has no candidates.")
            return
        self.dialog = CandidatesDialog(run, self.view.window())
        self.dialog.show()

    def begin_shutdown(self) -> None:
        self._tasks.abort_all()


def _note(method: str, candidates: int, reason: str) -> str:
    how = "more thinking" if method == "effort" else f"{candidates} candidates"
    return f"Thought longer ({how}): {reason} The button's arrow shows the candidates."
