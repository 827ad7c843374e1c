"""Formulas in a reply, as a user sees them: typeset images of the right size, in the
text's colour, source until closed or when they cannot be typeset, LaTeX when copied."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPalette, QTextDocument, QTextImageFormat
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.render.math_image import typeset_count
from ui.render.message_body import MessageBody
from ui.render.prose_view import ProseView

MakeBody = Callable[[], MessageBody]
Stream = Callable[[MessageBody, str, int], None]


def prose(body: MessageBody) -> ProseView:
    (view,) = [s for s in body.segments() if isinstance(s, ProseView)]
    return view


def formula_images(view: ProseView) -> list[tuple[QTextImageFormat, QImage]]:
    """Each formula image in the view: its format and the picture drawn."""
    document = view.document()
    found = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                image_format = fmt.toImageFormat()
                image = document.resource(
                    QTextDocument.ResourceType.ImageResource, image_format.name()
                )
                assert isinstance(image, QImage) and not image.isNull()
                found.append((image_format, image))
            it += 1
        block = block.next()
    return found


def inked_colours(image: QImage) -> set[str]:
    """The colours of the image's fully covered pixels."""
    colours = set()
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() == 255:
                colours.add(pixel.name())
    return colours


def test_inline_and_display_formulas_become_images_of_plausible_size(
    make_body: MakeBody,
) -> None:
    body = make_body()
    body.set_markdown("Area $\\pi r^2$ of a circle:\n\n$$\\pi r^2$$\n\nDone.")
    view = prose(body)
    (inline, _i), (display, _d) = formula_images(view)
    line = QFontMetricsF(view.font()).lineSpacing()
    # Inline: about a line tall (padded to sit on the baseline), a few characters wide.
    assert 0.6 * line <= inline.height() <= 2.5 * line
    assert 10 <= inline.width() <= 12 * line
    # Displayed: the same formula set larger, centred on its own line.
    assert display.height() > inline.height() and display.width() > inline.width()
    assert "Area" in view.plain_text() and "Done." in view.plain_text()


def test_formulas_are_drawn_in_the_text_colour_light_and_dark(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("Light $x^2 + y^2$ then dark.")
    view = prose(body)
    (_fmt, light_image) = formula_images(view)[0]
    text = view.palette().color(QPalette.ColorRole.Text).name()
    assert inked_colours(light_image) == {text}

    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    body.setPalette(dark)
    (_fmt, dark_image) = formula_images(view)[0]
    assert inked_colours(dark_image) == {"#eeeeee"}


def test_dollar_amounts_stay_text(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("It costs $5 and $10, or $5-$10 with tax.")
    view = prose(body)
    assert formula_images(view) == []
    assert view.plain_text() == "It costs $5 and $10, or $5-$10 with tax."


def test_a_formula_that_cannot_be_typeset_shows_its_source(make_body: MakeBody) -> None:
    body = make_body()
    source = "$\\begin{pmatrix} a & b \\end{pmatrix}$"
    body.set_markdown(f"A matrix {source} here, and $x_1$ there.")
    view = prose(body)
    assert len(formula_images(view)) == 1  # x_1 only
    assert source in view.plain_text()


def test_copy_gives_the_latex_source(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("So $\\frac{a}{b}$ and \\(c_2\\) hold.")
    view = prose(body)
    assert len(formula_images(view)) == 2
    view.selectAll()
    view.copy()
    assert QApplication.clipboard().text() == "So $\\frac{a}{b}$ and \\(c_2\\) hold."
    assert body.plain_text() == "So $\\frac{a}{b}$ and \\(c_2\\) hold."


def test_a_streaming_formula_shows_source_until_closed_and_is_typeset_once(
    make_body: MakeBody, qtbot: QtBot
) -> None:
    body = make_body()
    text = "Then $\\sqrt{2} + 17.25^{3}$ follows, and more words come after it."
    before = typeset_count()
    closing = text.index("$ follows") + 1
    for end in range(1, len(text) + 1):
        body.append(text[end - 1])
        if end == closing - 1:
            # Still open: the source so far is shown as text.
            view = prose(body)
            assert formula_images(view) == []
            assert view.plain_text() == text[:end]
    # Closed: typeset (in the background while the reply streams), then shown.
    qtbot.waitUntil(lambda: len(formula_images(prose(body))) == 1)
    assert prose(body).plain_text() == text
    # Laid out once; the tail rendered again and again reused it.
    assert typeset_count() - before == 1


def test_a_finished_paragraph_shows_its_formulas_at_once(make_body: MakeBody) -> None:
    body = make_body()
    body.append("First $a^{11} + b^{11}$ here.\n\nThen more\n")
    assert len(formula_images(prose(body))) == 1  # no waiting for a finished block


def test_zooming_the_text_enlarges_formulas(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("A formula $e^{i\\pi} + 1 = 0$ here.")
    view = prose(body)
    ((small, _img),) = formula_images(view)
    font = body.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    body.setFont(font)
    ((big, _img2),) = formula_images(view)
    assert big.height() > small.height() * 1.3
    assert big.width() > small.width() * 1.3


def test_boxed_answers_get_a_frame(make_body: MakeBody) -> None:
    body = make_body()
    body.set_markdown("**Final answer:** \\boxed{42}")
    ((_fmt, image),) = formula_images(prose(body))
    # The frame: the first and last columns are inked from top to bottom.
    for x in (0, image.width() - 1):
        column = [image.pixelColor(x, y).alpha() for y in range(image.height())]
        inked = [alpha for alpha in column if alpha > 0]
        assert len(inked) > image.height() // 3
