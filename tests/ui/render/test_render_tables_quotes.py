"""Tables, quotes and lists as a good Markdown viewer shows them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QPalette, QTextBlockFormat, QTextFormat
from pytestqt.qtbot import QtBot

from ui.render.message_body import MessageBody
from ui.render.prose_view import ProseView
from ui.render.tables import tables_in

MakeBody = Callable[[], MessageBody]

TABLE = """| Language | Typing | First released |
|---|---|---|
| Python | dynamic | 1991 |
| Rust | static | 2015 |
"""


def prose(body: MessageBody) -> ProseView:
    (view,) = [s for s in body.segments() if isinstance(s, ProseView)]
    return view


def test_a_table_has_its_cells_borders_and_a_shaded_header(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(TABLE)
    view = prose(body)
    (table,) = tables_in(view.document())
    assert (table.rows(), table.columns()) == (3, 3)
    cells = [
        [table.cellAt(r, c).firstCursorPosition().block().text() for c in range(3)]
        for r in range(3)
    ]
    assert cells == [
        ["Language", "Typing", "First released"],
        ["Python", "dynamic", "1991"],
        ["Rust", "static", "2015"],
    ]
    fmt = table.format()
    assert fmt.border() >= 1 and fmt.borderCollapse()
    base = view.palette().color(QPalette.ColorRole.Base)
    header = table.cellAt(0, 0).format().background().color()
    body_cell = table.cellAt(1, 0).format().background()
    assert header.isValid() and header != base
    assert body_cell.style().name == "NoBrush"


def test_a_table_copies_as_rows_of_tab_separated_cells(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("Before.\n\n" + TABLE + "\nAfter.")
    assert body.plain_text() == (
        "Before.\n"
        "Language\tTyping\tFirst released\n"
        "Python\tdynamic\t1991\n"
        "Rust\tstatic\t2015\n"
        "\n"
        "After."
    )


def test_table_colours_follow_a_dark_palette(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown(TABLE)
    view = prose(body)
    (table,) = tables_in(view.document())
    light = table.cellAt(0, 0).format().background().color()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    body.setPalette(dark)
    (table,) = tables_in(view.document())
    now = table.cellAt(0, 0).format().background().color()
    assert now != light and now.lightnessF() < 0.3


def test_a_wide_table_scrolls_sideways(make_body: MakeBody, qtbot: QtBot) -> None:
    body = make_body()
    wide = "| " + " | ".join(f"column_number_{n}_with_a_long_name" for n in range(8)) + " |"
    rule = "|" + "---|" * 8
    row = "| " + " | ".join(f"value_{n}_that_does_not_break" for n in range(8)) + " |"
    body.set_markdown(f"Intro.\n\n{wide}\n{rule}\n{row}\n")
    view = prose(body)
    bar = view.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    # The view is tall enough for its text and the scroll bar together.
    assert view.height() >= view.document().size().height() + bar.sizeHint().height() - 1


def test_quotes_are_indented_with_a_bar_in_the_mid_colour(
    make_body: MakeBody, qtbot: QtBot
) -> None:
    body = make_body()
    body.set_markdown("Before.\n\n> Quoted wisdom\n> on two lines.\n\nAfter.")
    view = prose(body)
    document = view.document()
    quote = document.findBlockByNumber(1)
    assert quote.text().startswith("Quoted wisdom")
    fmt = quote.blockFormat()
    assert fmt.intProperty(QTextFormat.Property.BlockQuoteLevel) == 1
    assert fmt.leftMargin() > 0

    layout = document.documentLayout()
    # Once laid out at the view's width.
    qtbot.waitUntil(lambda: layout.blockBoundingRect(quote).width() > 200)
    rect = layout.blockBoundingRect(quote)
    qtbot.waitUntil(lambda: view.height() >= rect.bottom())
    image = view.grab().toImage()
    mid = view.palette().color(QPalette.ColorRole.Mid)
    y = int(rect.center().y())
    left_of_text = range(int(rect.left() + fmt.leftMargin()))
    bar = [x for x in left_of_text if image.pixelColor(x, y).name() == mid.name()]
    assert bar, "no quote bar left of the quoted text"


def test_nested_and_task_lists(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("- [x] done\n- [ ] to do\n  - nested\n    1. deeper\n")
    document = prose(body).document()
    blocks = [document.findBlockByNumber(n) for n in range(document.blockCount())]
    by_text = {b.text(): b for b in blocks if b.text()}
    assert by_text["done"].blockFormat().marker() == QTextBlockFormat.MarkerType.Checked
    assert by_text["to do"].blockFormat().marker() == QTextBlockFormat.MarkerType.Unchecked
    indents = [by_text[t].textList().format().indent() for t in ("done", "nested", "deeper")]
    assert indents == sorted(indents) and len(set(indents)) == 3


def test_headings_are_larger_than_text(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("# Title\n\nText.")
    document = prose(body).document()
    heading, text = document.findBlockByNumber(0), document.findBlockByNumber(1)
    assert heading.blockFormat().headingLevel() == 1
    layout = document.documentLayout()
    assert layout.blockBoundingRect(heading).height() > layout.blockBoundingRect(text).height()
