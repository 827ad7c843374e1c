"""Code blocks: language label, exact Copy, highlighting, streaming line by line."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics, QGuiApplication, QPalette, QTextBlock
from pytestqt.qtbot import QtBot

from ui.render.code_block import CodeBlockView
from ui.render.highlighter import Token
from ui.render.message_body import MessageBody

MakeBody = Callable[[], MessageBody]
Stream = Callable[[MessageBody, str, int], None]

CODE = 'def greet(name):\n    """Say hi."""\n\n    return f"hi {name}"  # friendly\n'
MESSAGE = f"Here you go:\n\n```python\n{CODE}```\n\nEnjoy.\n"


def code_views(body: MessageBody) -> list[CodeBlockView]:
    return [s for s in body.segments() if isinstance(s, CodeBlockView)]


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


def test_keywords_strings_and_comments_get_formats(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(MESSAGE)
    (view,) = code_views(body)
    document = view.editor.document()
    highlighter = view.highlighter
    keyword = highlighter.format_for(Token.KEYWORD).foreground().color()
    string = highlighter.format_for(Token.STRING).foreground().color()
    comment = highlighter.format_for(Token.COMMENT).foreground().color()

    first = document.findBlockByNumber(0)  # def greet(name):
    assert formats_on(first, 0, 3) == [keyword]
    assert formats_on(first, 4, 5) == []  # "greet" is a plain name
    docstring = document.findBlockByNumber(1)
    assert formats_on(docstring, 4, len('"""Say hi."""')) == [string]
    last = document.findBlockByNumber(3)
    text = last.text()
    assert formats_on(last, 4, 6) == [keyword]  # return
    assert formats_on(last, text.index("#"), len(text) - text.index("#")) == [comment]


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
    comment = view.highlighter.format_for(Token.COMMENT).foreground().color().name()
    string = view.highlighter.format_for(Token.STRING).foreground().color().name()
    assert expected[1] == [(0, len("   over lines */"), comment)]  # carried over a line
    assert expected[3] == [(0, len("line`"), string)]


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
    light = view.highlighter.format_for(Token.KEYWORD).foreground().color()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#dddddd"))
    view.setPalette(dark)
    now = view.highlighter.format_for(Token.KEYWORD).foreground().color()
    assert now != light
    first = view.editor.document().findBlockByNumber(0)
    assert formats_on(first, 0, 3) == [now]
