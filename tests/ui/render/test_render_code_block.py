"""Code blocks: language label, exact Copy, Pygments highlighting, streaming line by line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pygments.token import Comment, Keyword, String
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontInfo, QFontMetrics, QGuiApplication, QPalette, QTextBlock
from pytestqt.qtbot import QtBot

from ui.render.code_block import CodeBlockView
from ui.render.message_body import MessageBody

MakeBody = Callable[[], MessageBody]
Stream = Callable[[MessageBody, str, int], None]

CODE = 'def greet(name):\n    """Say hi."""\n\n    return f"hi {name}"  # friendly\n'
MESSAGE = f"Here you go:\n\n```python\n{CODE}```\n\nEnjoy.\n"


def code_views(body: MessageBody) -> list[CodeBlockView]:
    return [s for s in body.segments() if isinstance(s, CodeBlockView)]


def colour_at(view: CodeBlockView, line: int, column: int) -> QColor | None:
    """The colour a user sees on the character at (line, column), None for plain text."""
    block = view.editor.document().findBlockByNumber(line)
    for r in block.layout().formats():
        if r.start <= column < r.start + r.length and r.format.hasProperty(
            r.format.Property.ForegroundBrush
        ):
            return r.format.foreground().color()
    return None


def formats_on(block: QTextBlock, start: int, length: int) -> list[QColor]:
    """Foreground colours of the highlight ranges covering exactly [start, start+length)."""
    return [
        r.format.foreground().color()
        for r in block.layout().formats()
        if r.start == start and r.length == length
    ]


def test_copy_puts_exactly_the_code_on_the_clipboard(
    make_body: MakeBody, qtbot: QtBot, stream: Stream
) -> None:
    body = make_body()
    stream(body, MESSAGE, 3)
    (view,) = code_views(body)
    assert view.language_label.text() == "python"
    QGuiApplication.clipboard().setText("something else")

    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)

    assert QGuiApplication.clipboard().text() == CODE.removesuffix("\n")
    assert view.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: view.copy_button.text() == "Copy", timeout=5000)


def test_code_without_language_is_labelled_text(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    body.set_markdown("~~~\n<b>not html</b>\n~~~\n")
    (view,) = code_views(body)
    assert view.language_label.text() == "text"
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "<b>not html</b>"


def test_keywords_strings_and_comments_get_their_colours(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(MESSAGE)
    (view,) = code_views(body)
    colors = view.highlighter.colors
    keyword = colors.format_for(Keyword).foreground().color()
    string = colors.format_for(String.Doc).foreground().color()
    comment = colors.format_for(Comment.Single).foreground().color()
    assert len({keyword.name(), string.name(), comment.name()}) == 3

    assert colour_at(view, 0, 0) == keyword  # def
    assert colour_at(view, 0, 4) != keyword  # greet, a function name
    assert colour_at(view, 1, 4) == string  # the docstring
    last = view.editor.document().findBlockByNumber(3).text()
    assert colour_at(view, 3, 4) == keyword  # return
    assert colour_at(view, 3, last.index("#") + 2) == comment
    assert colour_at(view, 3, last.index('"hi') + 1) not in (None, keyword, comment)


@pytest.mark.parametrize(
    ("tag", "code", "keyword"),
    [
        ("rust", "fn main() {\n    let x = 1;\n}", "fn"),
        ("go", "func main() {\n}", "func"),
        ("haskell", "module Main where\nmain = pure ()", "module"),
        ("elixir", "defmodule Hi do\nend", "defmodule"),
        ("zig", 'const std = @import("std");', "const"),
        ("fortran", "program hello\nend program hello", "program"),
        ("sql", "SELECT 1;", "SELECT"),
        ("kotlin", "fun main() {}", "fun"),
    ],
)
def test_every_language_pygments_knows_is_highlighted(
    make_body: MakeBody, tag: str, code: str, keyword: str
) -> None:
    body = make_body()
    body.set_markdown(f"```{tag}\n{code}\n```")
    (view,) = code_views(body)
    assert view.language_label.text() == tag
    assert colour_at(view, 0, code.index(keyword)) is not None


def test_untagged_code_is_highlighted_in_a_guessed_language(
    make_body: MakeBody, stream: Stream
) -> None:
    code = "import os\n\ndef main():\n    return os.getcwd()\n"
    body = make_body()
    stream(body, f"```\n{code}```\n", 5)
    (view,) = code_views(body)
    assert view.language_label.text() == "python"
    assert "guessed" in view.language_label.toolTip()
    assert colour_at(view, 2, 0) == view.highlighter.colors.format_for(Keyword).foreground().color()


def test_long_lines_scroll_sideways_instead_of_wrapping(make_body: MakeBody) -> None:
    body = make_body()
    long_line = "x = [" + ", ".join(str(n) for n in range(400)) + "]"
    body.set_markdown(f"```python\n{long_line}\n```")
    (view,) = code_views(body)
    assert view.editor.document().firstBlock().layout().lineCount() == 1
    assert view.editor.horizontalScrollBar().maximum() > 0
    assert view.editor.verticalScrollBar().maximum() == 0


def test_code_keeps_a_fixed_width_font_when_the_text_is_zoomed(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(MESSAGE)
    (view,) = code_views(body)
    before = QFontInfo(view.editor.document().defaultFont()).pointSizeF()
    bigger = body.font()
    bigger.setPointSizeF(bigger.pointSizeF() * 1.5)
    body.setFont(bigger)
    font = view.editor.document().defaultFont()
    assert QFontInfo(font).fixedPitch()
    assert QFontInfo(font).pointSizeF() > before * 1.3


def test_streamed_code_is_highlighted_like_code_given_at_once(
    make_body: MakeBody, stream: Stream
) -> None:
    source = "```js\n/* a comment\n   over lines */\nconst s = `multi\nline`;\nlet n = 42;\n```\n"
    at_once, streamed = make_body(), make_body()
    at_once.set_markdown(source)
    stream(streamed, source, 2)

    def highlights(body: MessageBody) -> list[list[tuple[int, int, str]]]:
        (view,) = code_views(body)
        result = []
        block = view.editor.document().begin()
        while block.isValid():
            result.append(
                [
                    (r.start, r.length, r.format.foreground().color().name())
                    for r in block.layout().formats()
                ]
            )
            block = block.next()
        return result

    expected = highlights(at_once)
    assert highlights(streamed) == expected
    (view,) = code_views(at_once)
    comment = view.highlighter.colors.format_for(Comment.Multiline).foreground().color()
    string = view.highlighter.colors.format_for(String.Backtick).foreground().color()
    assert colour_at(view, 1, 3) == comment  # carried over a line
    assert colour_at(view, 3, 0) == string


def test_open_code_block_shows_lines_as_they_come(make_body: MakeBody) -> None:
    body = make_body()
    body.append("```py\nx = 1\ny = ")
    (view,) = code_views(body)
    assert not view.finished
    assert view.editor.toPlainText() == "x = 1\ny = "
    body.append("2\n``")  # the closing fence, half typed, is not shown
    assert view.editor.toPlainText() == "x = 1\ny = 2"
    body.append("`\nafter")
    assert view.finished
    assert view.code() == "x = 1\ny = 2"
    assert view.editor.toPlainText() == "x = 1\ny = 2"
    assert code_views(body) == [view]
    assert body.plain_text().endswith("after")


def test_code_block_height_fits_its_lines(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    body.set_markdown("```\none\n```")
    (view,) = code_views(body)
    short = view.editor.height()
    body.set_markdown("```\n" + "\n".join(str(n) for n in range(12)) + "\n```")
    (view,) = code_views(body)
    line = QFontMetrics(view.editor.document().defaultFont()).lineSpacing()
    assert view.editor.height() >= short + 11 * line
    document = view.editor.document()
    bottom = document.documentLayout().blockBoundingRect(document.lastBlock()).bottom()
    # Once laid out, every line is visible without scrolling.
    qtbot.waitUntil(lambda: view.editor.viewport().height() >= bottom)
    assert view.editor.verticalScrollBar().maximum() == 0


def test_dark_palette_changes_highlight_colours(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(MESSAGE)
    (view,) = code_views(body)
    light = colour_at(view, 0, 0)
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#dddddd"))
    view.setPalette(dark)
    now = colour_at(view, 0, 0)
    assert now is not None and light is not None and now != light
    assert now.lightnessF() > 0.5  # light on the dark background
    first = view.editor.document().findBlockByNumber(0)
    assert formats_on(first, 0, 3) == [now]
