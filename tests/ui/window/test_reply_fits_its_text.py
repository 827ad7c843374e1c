"""A reply's body is as tall as its text on every frame the user sees: no empty band
under a reply whose text became shorter (another version, Think longer's new version,
its final text), no last lines cut off while it grows (a streaming Regenerate).

Each painted frame of a reply is checked, not only the state once the window settles:
Qt used to lay out one level of the reply per turn of the event loop, painting the old
height in between (docs/think_longer.png once showed a band of about 100 px)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QMainWindow

from app.hearth import Hearth
from app.paths import hearth_paths
from tests.support.messages import stored_message
from tests.ui.window.conftest import STARTER_KEY
from tests.ui.window.helpers import last_reply, wait_for_reply
from ui.chat.chat_view import ChatView
from ui.chat.message_widget import MessageWidget, VersionInfo

LONG = "\n\n".join(["The sea is wide and the waves roll in from far away. " * 6] * 5)
SHORT = "Six times seven is 42."


def empty_space_under_text(widget: MessageWidget) -> int:
    """Pixels of the reply's body below its last line of text (negative: text cut off)."""
    pieces = widget.body.segments()
    if not pieces or not widget.body.isVisible():
        return 0
    last = pieces[-1]
    text_bottom = last.mapTo(widget.body, QPoint(0, last.height())).y()
    return widget.body.height() - text_bottom


class FrameRecorder(QObject):
    """Notes, each time a reply is painted, how its body's height fits its text."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[int, int]] = []  # (message id, empty space under the text)

    def watch(self, widget: object) -> None:
        if isinstance(widget, MessageWidget) and widget.message.role == "assistant":
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, MessageWidget):
            self.frames.append((watched.message.id, empty_space_under_text(watched)))
        return False

    def misfits(self) -> list[tuple[int, int]]:
        return [(message, space) for message, space in self.frames if not 0 <= space <= 1]


def _fits(widget: Callable[[], MessageWidget]) -> Callable[[], bool]:
    def check() -> bool:
        shown = widget()
        return shown.isVisible() and 0 <= empty_space_under_text(shown) <= 1

    return check


def test_switching_versions_and_regenerating_keep_the_reply_fitted(
    qtbot, open_window, hearth_home
) -> None:
    earlier = Hearth.open(hearth_paths())
    store = earlier.conversations
    chat = store.create_conversation("Six sevens", STARTER_KEY)
    question = store.add_message(chat.id, None, "user", "What is 6 times 7?")
    long = store.add_message(chat.id, question.id, "assistant", LONG, model=STARTER_KEY)
    short = store.add_message(chat.id, question.id, "assistant", SHORT, model=STARTER_KEY)
    earlier.close()
    window = open_window(max_tokens=60, seed=3)
    recorder = FrameRecorder()
    window.chat_view.message_shown.connect(recorder.watch)
    window.chat.show_conversation(chat.id)
    qtbot.waitUntil(lambda: last_reply(window).message.id == short.id)
    qtbot.waitUntil(_fits(lambda: last_reply(window)))

    qtbot.mouseClick(last_reply(window).previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: last_reply(window).message.id == long.id)
    qtbot.waitUntil(_fits(lambda: last_reply(window)))
    qtbot.mouseClick(last_reply(window).next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: last_reply(window).message.id == short.id)
    qtbot.waitUntil(_fits(lambda: last_reply(window)))
    assert last_reply(window).body.height() < 60  # one line, not the long version's height

    qtbot.mouseClick(last_reply(window).regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.chat.busy, timeout=10_000)
    wait_for_reply(qtbot, window)
    qtbot.waitUntil(_fits(lambda: last_reply(window)))
    assert last_reply(window).version_label.text() == "3/3"
    assert recorder.frames
    assert recorder.misfits() == []


def test_final_text_shorter_than_the_streamed_one_leaves_no_gap(qtbot) -> None:
    window = QMainWindow()
    view = ChatView(window)
    window.setCentralWidget(view)
    window.resize(1100, 700)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    recorder = FrameRecorder()
    view.message_shown.connect(recorder.watch)
    question = stored_message(id=1, content="What is 6 times 7?")
    view.show_messages([question], {})
    streaming = stored_message(id=2, parent_id=1, role="assistant", status="streaming")
    view.begin_reply(streaming)
    view.append_text(LONG)
    reply = view.widgets[-1]
    qtbot.waitUntil(lambda: reply.body.height() > 200)
    qtbot.waitUntil(_fits(lambda: reply))

    done = stored_message(id=2, parent_id=1, role="assistant", content=SHORT)
    view.finish_reply(done, VersionInfo(1, 1, None, None))
    qtbot.waitUntil(lambda: reply.plain_text() == SHORT)
    qtbot.waitUntil(_fits(lambda: reply))
    assert reply.body.height() < 60
    assert recorder.misfits() == []
