"""A reply's single newlines show as line breaks, the way chat apps show them."""

from ui.render.message_body import MessageBody
from ui.render.safe_markdown import keep_line_breaks


def test_a_poem_keeps_its_lines(qtbot):
    body = MessageBody()
    qtbot.addWidget(body)
    body.set_markdown("Roses are red\nViolets are blue\nSugar is sweet\n\nThe end.")
    lines = [line for line in body.plain_text().splitlines() if line.strip()]
    assert lines[:3] == ["Roses are red", "Violets are blue", "Sugar is sweet"]


def test_lists_tables_headings_and_code_are_left_alone():
    text = "# Title\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n1. one\n2. two\n    code"
    assert keep_line_breaks(text) == text


def test_only_paragraph_lines_get_a_break():
    assert keep_line_breaks("one\ntwo\n\nthree") == "one\\\ntwo\n\nthree"
