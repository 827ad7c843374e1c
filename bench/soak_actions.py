"""What the soak does to the window: a person's clicks and keys, and a hostile machine.

Every action goes through the widgets a person uses (the message box, Stop, the message
buttons, the sidebar, the model picker, Ctrl+F) with ``QTest`` key and mouse events, or
through the operating system (``kill -9``, ``SIGSTOP``, a ``hearth`` command beside the
window). Waiting always runs the event loop. An action returns a short label for the
report ("mid-reply", "during prompt", …), or ``None`` when it cannot be done right now.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QWidget

from bench.soak_checks import Invariants, ReplyTracker
from bench.soak_heartbeat import Heartbeat
from bench.soak_processes import CliRun, pid_alive
from ui.chat.message_widget import MessageWidget
from ui.main_window import MainWindow

QUESTIONS = [
    "Say hello in one sentence.",
    "Name three colours.",
    "Write a haiku about the sea.",
    "What is two plus two?",
    "Tell me a short story about a lighthouse keeper.",
    "List five fruits and one fact about each.",
    "Explain rain to a child.",
    "Write a long poem about winter mornings.",
    "Give me a recipe for pancakes.",
    "Why is the sky blue?",
    "Describe a cat chasing a butterfly.",
    "Write Python code that adds two numbers.",
]
SEARCH_WORDS = ["lighthouse", "colours", "haiku", "pancakes", "winter", "fruits", "butterfly"]
_FILLER = [
    "a",
    "along",
    "and",
    "cold",
    "counting",
    "grey",
    "gulls",
    "harbour",
    "keeper",
    "lamp",
    "old",
    "over",
    "roofs",
    "sang",
    "ships",
    "sky",
    "slowly",
    "stairs",
    "stars",
    "stone",
    "the",
    "tide",
    "turned",
    "under",
    "walked",
    "waves",
    "while",
    "wind",
]


@dataclass
class DriverOptions:
    home: Path  # HEARTH_HOME: the CLI runs on the same folder
    sigstop_seconds: float = 10.0
    long_message_words: int = 1500
    idle_timeout_s: float = 180.0


def _is_model_file(data: object) -> bool:
    """A picker entry that is a model on disk (not "Open a GGUF file…" and the like)."""
    return isinstance(data, str) and data.endswith(".gguf") and Path(data).is_file()


class WindowDriver:
    """Acts on one window like a person (and a hostile operating system) would."""

    def __init__(
        self,
        window: MainWindow,
        rng: random.Random,
        heartbeat: Heartbeat,
        tracker: ReplyTracker,
        invariants: Invariants,
        options: DriverOptions,
    ) -> None:
        self.window = window
        self.rng = rng
        self.heartbeat = heartbeat
        self.tracker = tracker
        self.invariants = invariants
        self.options = options
        self.index = 0
        self._sent_count = 0
        self.actions: dict[str, Callable[[], str | None]] = {
            "send": self.send,
            "send_long": self.send_long,
            "stop": self.stop,
            "regenerate": self.regenerate,
            "edit": self.edit,
            "switch_version": self.switch_version,
            "switch_chat": self.switch_chat,
            "switch_model": self.switch_model,
            "delete_undo": self.delete_undo,
            "search": self.search,
            "kill_host": self.kill_host,
            "sigstop_host": self.sigstop_host,
            "cli": self.cli,
            "wait": self.wait_a_moment,
        }

    # Waiting and input -------------------------------------------------------------------

    def wait(self, ms: int) -> None:
        QTest.qWait(max(0, ms))

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            QTest.qWait(10)
        return True

    def idle(self) -> bool:
        bar = self.window.model_bar
        return not self.window.chat.busy and bar.picker.isEnabled() and not bar.progress.isVisible()

    def click(self, widget: QWidget) -> None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)

    def key(
        self,
        widget: QWidget,
        key: Qt.Key,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    ) -> None:
        QTest.keyClick(widget, key, modifier)

    def type(self, widget: QWidget, text: str) -> None:
        """Types ``text`` a few characters at a time, the loop running in between."""
        for start in range(0, len(text), 8):
            QTest.keyClicks(widget, text[start : start + 8])
            QTest.qWait(2)

    def _next_tag(self) -> str:
        self._sent_count += 1
        return f"#{self._sent_count}"

    # Sending and stopping ---------------------------------------------------------------

    def _clear_box(self) -> None:
        edit = self.window.composer.edit
        edit.setFocus()
        if edit.toPlainText():
            self.key(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            self.key(edit, Qt.Key.Key_Delete)

    def _press_enter(self, text: str) -> bool:
        edit = self.window.composer.edit
        self.key(edit, Qt.Key.Key_Return)
        sent = not edit.toPlainText().strip()
        if sent:
            self.invariants.record_sent(text, self.index)
        return sent

    def send(self) -> str | None:
        busy = self.window.chat.busy
        text = f"{self.rng.choice(QUESTIONS)} {self._next_tag()}"
        self._clear_box()
        self.type(self.window.composer.edit, text)
        sent = self._press_enter(text)
        if busy:
            # Enter while a reply streams does nothing; the text waits in the box.
            self._clear_box()
            return "while busy (kept in the box)" if not sent else "while busy (sent!)"
        return "sent" if sent else "not sent"

    def send_long(self) -> str | None:
        """A long message (slow prompt evaluation), pasted; often stopped soon after."""
        if self.window.chat.busy:
            return None
        words = [self.rng.choice(_FILLER) for _ in range(self.options.long_message_words)]
        text = f"Summarise this in one line {self._next_tag()}: " + " ".join(words)
        self._clear_box()
        edit = self.window.composer.edit
        QGuiApplication.clipboard().setText(text)
        self.key(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        if edit.toPlainText() != text:  # no clipboard on this platform: paste by hand
            self._clear_box()
            edit.insertPlainText(text)
        if not self._press_enter(text):
            return "not sent"
        if self.rng.random() < 0.7:
            self.wait(self.rng.randint(30, 1500))
            where = self._stop()
            return f"then Stop {where}" if where else "then Stop after the end"
        return "sent"

    def _stop(self) -> str:
        """Presses Stop (the button, or Esc); returns where the reply was."""
        where = self.tracker.note_stop()
        if self.rng.random() < 0.5 and self.window.composer.button.text() == "Stop":
            self.click(self.window.composer.button)
        else:
            self.key(self.window.composer.edit, Qt.Key.Key_Escape)
        return where

    def stop(self) -> str | None:
        if not self.window.chat.busy:
            return None
        self.wait(self.rng.randint(0, 1500))  # a random moment of the reply
        return self._stop() or "after the end"

    # Message buttons ----------------------------------------------------------------------

    def _visible(self, check: Callable[[MessageWidget], QWidget]) -> list[MessageWidget]:
        return [w for w in self.window.chat_view.widgets if check(w).isVisibleTo(self.window)]

    def regenerate(self) -> str | None:
        widgets = [w for w in self._visible(lambda w: w.regenerate_button)]
        if not widgets or self.window.chat.busy:
            return None
        self.click(widgets[-1].regenerate_button)
        return "regenerated"

    def edit(self) -> str | None:
        widgets = self._visible(lambda w: w.edit_button)
        if not widgets or self.window.chat.busy:
            return None
        widget = self.rng.choice(widgets)
        self.click(widget.edit_button)
        editor = next(
            (
                e
                for e in widget.findChildren(QPlainTextEdit)
                if e.accessibleName() == "Edit message"
            ),
            None,
        )
        if editor is None:
            return "no editor"
        buttons = {b.text(): b for b in widget.findChildren(QPushButton)}
        if self.rng.random() < 0.15:
            self.click(buttons["Cancel"])
            return "cancelled"
        text = f"{self.rng.choice(QUESTIONS)} (edited) {self._next_tag()}"
        editor.setFocus()
        self.key(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.type(editor, text)
        self.click(buttons["Send"])
        self.invariants.record_sent(text, self.index)
        return "edited and sent"

    def switch_version(self) -> str | None:
        buttons = [
            button
            for w in self.window.chat_view.widgets
            for button in (w.previous_button, w.next_button)
            if button.isVisibleTo(self.window) and button.isEnabled()
        ]
        if not buttons:
            return None
        button = self.rng.choice(buttons)
        busy = self.window.chat.busy
        self.click(button)
        return ("previous" if button.text() == "‹" else "next") + (" mid-reply" if busy else "")

    # Sidebar -----------------------------------------------------------------------------

    def _leave_search(self) -> None:
        sidebar = self.window.sidebar
        if sidebar.search_field.text():
            sidebar.search_field.setFocus()
            self.key(sidebar.search_field, Qt.Key.Key_Escape)

    def _rows(self) -> int:
        return self.window.sidebar.list_model.rowCount()

    def _index(self, row: int) -> QModelIndex:
        return self.window.sidebar.list_model.index(row)

    def switch_chat(self) -> str | None:
        busy = " mid-reply" if self.window.chat.busy else ""
        self._leave_search()
        sidebar = self.window.sidebar
        current = self.window.chat.conversation_id
        rows = [
            row
            for row in range(self._rows())
            if sidebar.list_model.conversation_at(row).id != current
        ]
        if not rows or (current is not None and self.rng.random() < 0.2):
            if self.rng.random() < 0.5:
                self.click(sidebar.new_chat_button)
            else:
                self.key(
                    self.window.composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier
                )
            return "new chat" + busy
        view = sidebar.list_view
        index = self._index(self.rng.choice(rows))
        view.scrollTo(index)
        QTest.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
        return "other chat" + busy

    def delete_undo(self) -> str | None:
        self._leave_search()
        rows = self._rows()
        if rows == 0:
            return None
        sidebar = self.window.sidebar
        view = sidebar.list_view
        row = self.rng.randrange(rows)
        deleted = sidebar.list_model.conversation_at(row).id
        streaming = deleted == self.window.chat.streaming_conversation
        view.setFocus()
        self.key(view, Qt.Key.Key_Home)
        for _ in range(row):
            self.key(view, Qt.Key.Key_Down)
        self.key(view, Qt.Key.Key_Delete)
        what = "the streaming chat" if streaming else "a chat"
        if self.rng.random() < 0.6:
            self.wait(self.rng.randint(0, 2500))
            button = sidebar.notice_bar.action_button
            if button.isVisibleTo(self.window):
                self.click(button)
                return f"deleted {what}, undone"
        return f"deleted {what}, kept deleted"

    def _search_word(self) -> str:
        """Mostly a word of something sent (so there are hits), sometimes any word."""
        sent = [
            word.strip(".,?!:()").lower()
            for message in self.invariants.sent
            for word in message.text.split()[:12]
            if len(word) > 4 and not word.startswith("#")
        ]
        if sent and self.rng.random() < 0.8:
            return self.rng.choice(sent)
        return self.rng.choice(SEARCH_WORDS)

    def search(self) -> str | None:
        sidebar = self.window.sidebar
        busy = " mid-reply" if self.window.chat.busy else ""
        self.key(self.window.composer.edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        field = sidebar.search_field
        field.setFocus()
        self.key(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.type(field, self._search_word())
        found = self.wait_until(
            lambda: (
                sidebar.results_model.rowCount() > 0
                or (
                    sidebar.search_status.isVisible()
                    and not sidebar.search_status.text().startswith("Searching")
                )
            ),
            5.0,
        )
        hits = sidebar.results_model.rowCount()
        if found and hits and self.rng.random() < 0.6:
            self.key(field, Qt.Key.Key_Return)
            self.wait(self.rng.randint(0, 300))
            if self.rng.random() < 0.5:
                self._leave_search()
            return f"opened a hit{busy}"
        self._leave_search()
        return f"{hits} hits" if found else "no answer in 5 s"

    # Models --------------------------------------------------------------------------------

    def switch_model(self) -> str | None:
        picker = self.window.model_bar.picker
        info = self.window.hearth.engine.info
        if not picker.isEnabled() or info is None:
            return None
        current = info.model_path
        others = [
            i
            for i in range(picker.count())
            if _is_model_file(picker.itemData(i)) and picker.itemData(i) != current
        ]
        if not others:
            return None
        target = self.rng.choice(others)
        busy = " mid-reply" if self.window.chat.busy else ""
        picker.setFocus()
        key = Qt.Key.Key_Down if target > picker.currentIndex() else Qt.Key.Key_Up
        steps = 0
        while picker.currentIndex() != target and picker.isEnabled() and steps < 10:
            self.key(picker, key)
            steps += 1
        return f"to {picker.itemText(target)}{busy}"

    def _host(self) -> int | None:
        pid = self.window.hearth.engine.host_pid
        return pid if pid_alive(pid) else None

    def _moment(self) -> str:
        if self.window.model_bar.progress.isVisible():
            return "while loading"
        if self.window.chat.busy:
            live = self.tracker.live
            return "during prompt" if live is not None and live.chunks == 0 else "mid-reply"
        return "idle"

    def kill_host(self) -> str | None:
        pid = self._host()
        if pid is None:
            return None
        moment = self._moment()
        os.kill(pid, signal.SIGKILL)
        return moment

    def sigstop_host(self) -> str | None:
        """Freezes the engine host for a while; meanwhile sometimes a reply, or Stop, is asked."""
        pid = self._host()
        if pid is None:
            return None
        moment = self._moment()
        os.kill(pid, signal.SIGSTOP)
        parts = [moment]
        try:
            end = time.monotonic() + self.options.sigstop_seconds
            if not self.window.chat.busy and self.rng.random() < 0.4:
                self.send()
                parts.append("sent")
            stop_at = (
                time.monotonic() + self.rng.uniform(0.5, self.options.sigstop_seconds - 0.5)
                if self.rng.random() < 0.5
                else None
            )
            while time.monotonic() < end:
                if stop_at is not None and time.monotonic() >= stop_at:
                    stop_at = None
                    where = self._stop()
                    parts.append(f"Stop {where}" if where else "Stop while idle")
                self.wait(20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        parts.append("continued" if pid_alive(pid) else "ended by Hearth")
        return ", ".join(parts)

    # Beside the window -----------------------------------------------------------------

    def cli(self) -> str | None:
        if any(run.running for run in self.invariants.cli_runs):
            return None
        home = self.options.home
        draw = self.rng.random()
        if draw < 0.55:
            run = CliRun("conversations list", ["conversations", "list"], home)
        elif draw < 0.9:
            run = CliRun('chat "hi"', ["chat", "hi"], home)
        else:
            run = CliRun("(a second window)", [], home, expect_in_output="already open")
        run.start()
        self.invariants.cli_runs.append(run)
        return run.label

    def wait_a_moment(self) -> str | None:
        self.wait(self.rng.randint(300, 3000))
        return "busy" if self.window.chat.busy else "idle"
