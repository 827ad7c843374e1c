"""A reply's thinking section on its own: streaming, folding, the header's words, Copy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.store.records import Message
from tests.support.messages import stored_message
from ui.chat.message_widget import MessageWidget
from ui.chat.thinking_section import ThinkingSection, thought_for

THOUGHT = "The user greets me. I should greet them back, briefly."
ANSWER = "Hello! How can I help you today?"


def _reply(**fields: Any) -> Message:
    message = stored_message(
        id=7, parent_id=6, role="assistant", model="tiny.gguf", status="streaming"
    )
    return replace(message, **fields)


def _shown(qtbot: QtBot, message: Message) -> MessageWidget:
    widget = MessageWidget(message, author="Tiny")
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _section(widget: MessageWidget) -> ThinkingSection:
    assert widget.thinking is not None
    return widget.thinking


def test_thinking_streams_open_then_folds_when_the_answer_begins(qtbot: QtBot) -> None:
    widget = _shown(qtbot, _reply())
    section = _section(widget)
    assert not section.isVisible()  # nothing thought yet

    for word in THOUGHT.split(" "):
        widget.append_thinking(word + " ")
    assert section.isVisible()
    assert section.header.text() == "Thinking…"
    assert section.is_expanded() and section.text_view.isVisible()
    qtbot.waitUntil(lambda: section.text_view.toPlainText().strip() == THOUGHT)

    widget.append_text(ANSWER)
    assert section.header.text().startswith("Thought for")
    assert not section.is_expanded() and not section.text_view.isVisible()
    assert widget.plain_text() == ANSWER

    widget.finish(
        _reply(content=ANSWER, reasoning=THOUGHT, thinking_ms=12_300, status="complete"),
        can_regenerate=True,
    )
    assert section.header.text() == "Thought for 12 s"
    assert not section.is_expanded()
    assert widget.plain_text() == ANSWER


def test_a_click_on_the_header_opens_and_folds_the_thinking(qtbot: QtBot) -> None:
    widget = _shown(
        qtbot, _reply(content=ANSWER, reasoning=THOUGHT, thinking_ms=400.0, status="complete")
    )
    section = _section(widget)
    assert section.isVisible() and section.header.text() == "Thought for a moment"
    assert not section.text_view.isVisible()  # stored replies start folded

    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert section.text_view.isVisible()
    assert section.text_view.toPlainText() == THOUGHT
    assert section.text_view.height() > section.text_view.fontMetrics().height()

    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert not section.text_view.isVisible()


def test_the_thinking_is_selectable_and_dimmed(qtbot: QtBot) -> None:
    widget = _shown(qtbot, _reply(content=ANSWER, reasoning=THOUGHT, status="complete"))
    view = _section(widget).text_view
    assert view.isReadOnly()
    assert view.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert "placeholder-text" in view.styleSheet()


def test_a_reply_opened_by_the_user_while_thinking_stays_open(qtbot: QtBot) -> None:
    widget = _shown(qtbot, _reply())
    section = _section(widget)
    widget.append_thinking("Hmm, ")
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)  # folds it
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)  # and opens it again
    widget.append_text(ANSWER)
    widget.finish(_reply(content=ANSWER, reasoning="Hmm, ", status="complete"), can_regenerate=True)
    assert section.is_expanded() and section.text_view.isVisible()


def test_a_reply_without_thinking_shows_no_section(qtbot: QtBot) -> None:
    widget = _shown(qtbot, _reply())
    widget.append_text(ANSWER)
    widget.finish(_reply(content=ANSWER, status="complete"), can_regenerate=True)
    assert not _section(widget).isVisible()
    stored = _shown(qtbot, _reply(content=ANSWER, status="complete"))
    assert not _section(stored).isVisible()


def test_copy_puts_the_answer_alone_on_the_clipboard(qtbot: QtBot) -> None:
    widget = _shown(qtbot, _reply())
    assert not widget.copy_button.isVisible()  # nothing to copy while it streams
    widget.append_thinking(THOUGHT)
    widget.append_text(ANSWER)
    widget.finish(
        _reply(content=ANSWER, reasoning=THOUGHT, thinking_ms=2000.0, status="complete"),
        can_regenerate=True,
    )
    assert widget.copy_button.isVisible()
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == ANSWER
    assert widget.copy_button.text() == "Copied"


def test_many_small_pieces_are_appended_a_frame_at_a_time(qtbot: QtBot) -> None:
    section = ThinkingSection()
    qtbot.addWidget(section)
    section.show()
    changes: list[int] = []
    section.text_view.document().contentsChange.connect(lambda *_: changes.append(1))
    pieces = [f"step {i}, " for i in range(2000)]
    for piece in pieces:
        section.append(piece)
    qtbot.waitUntil(lambda: section.text_view.toPlainText() == "".join(pieces))
    assert len(changes) < 20  # gathered, not one document change per piece


def test_the_header_says_how_long_the_model_thought() -> None:
    assert thought_for(None) == "Thoughts"
    assert thought_for(250) == "Thought for a moment"
    assert thought_for(1_000) == "Thought for 1 s"
    assert thought_for(12_400) == "Thought for 12 s"
    assert thought_for(60_000) == "Thought for 1 min"
    assert thought_for(95_000) == "Thought for 1 min 35 s"


def test_the_time_is_measured_until_the_answer_begins(qtbot: QtBot) -> None:
    now = [100.0]
    section = ThinkingSection(clock=lambda: now[0])
    qtbot.addWidget(section)
    section.append("thinking")
    now[0] += 7.2
    section.answer_started()
    assert section.header.text() == "Thought for 7 s"
    section.finish("thinking", None)  # nothing stored: the measured time stays
    assert section.header.text() == "Thought for 7 s"
