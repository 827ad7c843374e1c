"""The highlighter's scanner on its own: states carried across lines, odd input."""

from __future__ import annotations

from PySide6.QtGui import QPalette, QTextDocument
from pytestqt.qtbot import QtBot

from ui.render.highlighter import CodeHighlighter, Token, rules_for


def spans(language: str, code: str, qtbot: QtBot) -> list[list[tuple[int, int, Token]]]:
    """Per line, the (start, length, token) ranges the highlighter set."""
    document = QTextDocument()
    highlighter = CodeHighlighter(document, language, QPalette())
    document.setPlainText(code)
    highlighter.rehighlight()
    by_colour = {
        highlighter.format_for(token).foreground().color().name(): token for token in Token
    }
    result = []
    block = document.begin()
    while block.isValid():
        result.append(
            [
                (r.start, r.length, by_colour[r.format.foreground().color().name()])
                for r in block.layout().formats()
            ]
        )
        block = block.next()
    return result


def test_python_triple_quoted_string_spans_lines(qtbot: QtBot) -> None:
    lines = spans("python", 'x = """one\ntwo\nthree""" + 1\nNone', qtbot)
    assert lines[0] == [(4, 6, Token.STRING)]
    assert lines[1] == [(0, 3, Token.STRING)]
    assert lines[2] == [(0, 8, Token.STRING), (11, 1, Token.NUMBER)]
    assert lines[3] == [(0, 4, Token.LITERAL)]


def test_block_comment_and_escaped_quote(qtbot: QtBot) -> None:
    lines = spans("c", 'int a; /* x\n y */ char *s = "a\\"b";', qtbot)
    assert lines[0] == [(0, 3, Token.KEYWORD), (7, 4, Token.COMMENT)]
    assert lines[1] == [(0, 5, Token.COMMENT), (6, 4, Token.KEYWORD), (16, 6, Token.STRING)]


def test_sql_keywords_ignore_case(qtbot: QtBot) -> None:
    (line,) = spans("sql", "SELECT name FROM t -- all", qtbot)
    assert line == [(0, 6, Token.KEYWORD), (12, 4, Token.KEYWORD), (19, 6, Token.COMMENT)]


def test_unknown_language_still_marks_strings_and_numbers(qtbot: QtBot) -> None:
    (line,) = spans("brainfudge", 'if x "s" 12', qtbot)
    assert line == [(5, 3, Token.STRING), (9, 2, Token.NUMBER)]
    assert rules_for("Python") is rules_for("py")


def test_offsets_count_utf16_units_after_emoji(qtbot: QtBot) -> None:
    (line,) = spans("python", 's = "😀" # c', qtbot)
    # The emoji is two UTF-16 units: Qt positions shift by one after it.
    assert line == [(4, 4, Token.STRING), (9, 3, Token.COMMENT)]
