"""MessageBody: streaming renders what a one-shot render does, stable blocks once."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette, QTextCursor, QTextDocument, QTextTable
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ui.render.code_block import CodeBlockView
from ui.render.message_body import MessageBody
from ui.render.prose_view import ProseView
from ui.render.safe_markdown import MARKDOWN_FEATURES

MakeBody = Callable[[], MessageBody]
Stream = Callable[[MessageBody, str, int], None]


def snapshot(body: MessageBody) -> list[tuple[str, str, str]]:
    """What the body shows: each piece's kind, language and full rendering."""
    pieces: list[tuple[str, str, str]] = []
    for segment in body.segments():
        if isinstance(segment, ProseView):
            pieces.append(("prose", "", segment.document().toHtml()))
        else:
            assert isinstance(segment, CodeBlockView)
            pieces.append(("code", segment.language, segment.editor.toPlainText()))
    return pieces


def tables_in(document: QTextDocument) -> int:
    count = 0
    block = document.begin()
    while block.isValid():
        frame = QTextCursor(block).currentFrame()
        if isinstance(frame, QTextTable) and block.position() == frame.firstPosition():
            count += 1
        block = block.next()
    return count


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 40])
def test_streaming_matches_rendering_at_once(
    make_body: MakeBody, stream: Stream, sample_markdown: str, size: int
) -> None:
    at_once = make_body()
    at_once.set_markdown(sample_markdown)
    streamed = make_body()
    stream(streamed, sample_markdown, size)

    assert snapshot(streamed) == snapshot(at_once)
    assert streamed.plain_text() == at_once.plain_text()
    assert streamed.markdown() == sample_markdown
    kinds = [kind for kind, _, _ in snapshot(streamed)]
    assert kinds == ["prose", "code", "prose", "code", "prose"]
    # The tables really are tables (the first in the first prose run, one at the end).
    prose = [s for s in streamed.segments() if isinstance(s, ProseView)]
    assert tables_in(prose[0].document()) == 1
    assert tables_in(prose[2].document()) == 1


def test_fence_split_mid_fence_and_mid_line(make_body: MakeBody) -> None:
    text = "Before\n\n```python\nprint('hi')\nx = 1\n```\nAfter\n"
    cut_points = [text.index("``"), text.index("```") + 2, text.index("int("), text.rindex("``")]
    at_once = make_body()
    at_once.set_markdown(text)
    streamed = make_body()
    previous = 0
    for cut in [*cut_points, len(text)]:
        streamed.append(text[previous:cut])
        previous = cut
    assert snapshot(streamed) == snapshot(at_once)
    code = streamed.segments()[1]
    assert isinstance(code, CodeBlockView)
    assert code.code() == "print('hi')\nx = 1"
    assert code.language == "python"


def _block_texts(document: QTextDocument) -> list[str]:
    texts = []
    block = document.begin()
    while block.isValid():
        texts.append(block.text())
        block = block.next()
    return texts


def test_prose_renders_like_qt_markdown(make_body: MakeBody, stream: Stream) -> None:
    # No code fences: one prose run that must read exactly like a plain
    # QTextDocument given the whole text, tables, lists and rules included.
    text = (
        "# Title\n\nPara with **bold**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- x\n- y\n\n1. one\n\n1. two\n\n---\n\n> quote\n\nend\n"
    )
    reference = QTextDocument()
    reference.setMarkdown(text, MARKDOWN_FEATURES)
    body = make_body()
    stream(body, text, 4)
    (view,) = body.segments()
    assert isinstance(view, ProseView)
    assert _block_texts(view.document()) == _block_texts(reference)
    # "1. one" and "1. two" are one loose list in Markdown: numbered 1 and 2.
    numbers = []
    block = view.document().begin()
    while block.isValid():
        if block.text() in ("one", "two"):
            text_list = view.document().object(block.blockFormat().objectIndex())
            numbers.append(text_list.itemText(block))
        block = block.next()
    assert numbers == ["1.", "2."]


def test_finished_blocks_are_rendered_once(
    make_body: MakeBody, stream: Stream, sample_markdown: str
) -> None:
    body = make_body()
    head, rest = sample_markdown.split("Text between code blocks.", 1)
    stream(body, head + "Text", 3)
    first_prose, code = body.segments()[0], body.segments()[1]
    assert isinstance(first_prose, ProseView) and isinstance(code, CodeBlockView)
    # Mark every text block of the finished part; re-rendering would make new,
    # unmarked blocks.
    block = first_prose.document().begin()
    marked = 0
    while block.isValid():
        block.setUserState(4242)
        marked += 1
        block = block.next()
    code_revision = code.editor.document().revision()
    renders_before = body.stable_render_counts()
    assert renders_before == [1] * len(renders_before)

    stream(body, " between code blocks." + rest, 3)

    assert body.segments()[0] is first_prose and body.segments()[1] is code
    block = first_prose.document().begin()
    seen = 0
    while block.isValid():
        assert block.userState() == 4242
        seen += 1
        block = block.next()
    assert seen == marked
    assert code.editor.document().revision() == code_revision
    counts = body.stable_render_counts()
    assert len(counts) == 12
    assert counts == [1] * 12
    assert body.tail_renders > len(counts)


def test_tail_is_replaced_not_piled_up(make_body: MakeBody, stream: Stream) -> None:
    body = make_body()
    stream(body, "Hello **wor", 2)
    assert body.plain_text() == "Hello **wor"
    body.append("ld**!")
    assert body.plain_text() == "Hello world!"


def test_set_markdown_replaces_content(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("```\nold code\n```\n\nold text")
    body.set_markdown("new text")
    assert body.plain_text() == "new text"
    assert [type(s) for s in body.segments()] == [ProseView]


def test_height_follows_content_in_a_scroll_area(qtbot: QtBot) -> None:
    area = QScrollArea()
    qtbot.addWidget(area)
    area.setWidgetResizable(True)
    content = QWidget()
    column = QVBoxLayout(content)
    bodies = [MessageBody(), MessageBody()]
    for body in bodies:
        column.addWidget(body)
    column.addStretch(1)
    area.setWidget(content)
    area.resize(500, 300)
    area.show()
    qtbot.waitExposed(area)

    bodies[0].set_markdown("One short line.")
    bodies[1].set_markdown("Second message.")
    qtbot.waitUntil(lambda: bodies[0].height() > 0)
    short_height = bodies[0].sizeHint().height()
    second_top = bodies[1].y()

    bodies[0].append("\n\n" + "\n\n".join(f"Paragraph {n} of a long answer." for n in range(30)))
    bodies[0].append("\n\n```\n" + "\n".join(f"line {n}" for n in range(20)) + "\n```\n")
    qtbot.waitUntil(lambda: bodies[1].y() > second_top + 300)
    assert bodies[0].sizeHint().height() > short_height + 300
    for segment in bodies[0].segments():
        if isinstance(segment, ProseView):
            assert segment.height() == math.ceil(segment.document().size().height())
    # Everything shows without an inner scroll bar: the outer area scrolls.
    assert area.verticalScrollBar().maximum() > 0


def test_text_is_selectable_with_keys(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    body.set_markdown("Select **this** text.")
    (view,) = body.segments()
    assert isinstance(view, ProseView)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.textCursor().selectedText() == "Select this text."


def test_link_colour_follows_the_palette(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("A [link](https://example.com) here.")
    (view,) = body.segments()
    assert isinstance(view, ProseView)
    dark = QPalette(body.palette())
    dark.setColor(QPalette.ColorRole.Link, QColor("#7fb4ff"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#202020"))
    body.setPalette(dark)
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.plain_text().index("link") + 1)
    assert cursor.charFormat().isAnchor()
    assert cursor.charFormat().foreground().color() == QColor("#7fb4ff")


def test_a_reply_of_many_pieces_stays_in_order_and_finished_pieces_stay_put(
    make_body: MakeBody, qtbot: QtBot
) -> None:
    """Dozens of code blocks and paragraphs: shown top to bottom in the order written,
    and what is finished does not shift while the rest streams in below it."""
    body = make_body()
    cycle = "Step {n} explained.\n\n```python\nprint({n})\n```\n\n"
    for n in range(40):
        body.append(cycle.format(n=n))
        qtbot.wait(1)
    first_code = body.segments()[1]
    placed_at = first_code.mapTo(body, first_code.rect().topLeft())
    for n in range(40, 80):
        body.append(cycle.format(n=n))
        qtbot.wait(1)
    qtbot.wait(20)

    segments = body.segments()
    assert len(segments) == 160
    codes = [s.code() for s in segments if isinstance(s, CodeBlockView)]
    assert codes == [f"print({n})" for n in range(80)]
    tops = [s.mapTo(body, s.rect().topLeft()).y() for s in segments]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    assert first_code.mapTo(body, first_code.rect().topLeft()) == placed_at
