"""Which text is a formula: Pandoc's rules, so prices and code stay as written."""

from __future__ import annotations

import pytest

from ui.render.math_spans import Formula, find_math
from ui.render.math_tex import boxed_parts, display_style, to_mathtext


def formulas(text: str) -> list[Formula]:
    return find_math(text)[1]


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10 together.",
        "Between $5-$10 a night.",
        "pay $20,000 and $30,000 now",
        "a lone $ sign",
        "$ x$ has a space after the opening dollar",
        "$x $ has a space before the closing dollar",
        "escaped \\$x\\$ dollars",
        "`$x$` in code",
        "``code with ` and $x$``",
        "an unclosed $x^2",
        "an unclosed \\(x",
        "$$ \\frac{a}{b}",
        "$x\n\ny$ across a blank line",
    ],
)
def test_text_that_is_not_a_formula_stays_as_written(text: str) -> None:
    shown, found = find_math(text)
    assert found == []
    assert shown == text


def test_an_amount_before_a_formula_stays_text_and_the_formula_is_found() -> None:
    shown, found = find_math("It costs $5, and the area is $\\pi r^2$.")
    assert [f.tex for f in found] == ["\\pi r^2"]
    assert shown.startswith("It costs $5, and the area is ")


@pytest.mark.parametrize(
    ("text", "tex", "display"),
    [
        ("so $x^2$ here", "x^2", False),
        ("so \\(a_1 * b_1\\) here", "a_1 * b_1", False),
        ("$$\\int_0^1 x\\,dx$$", "\\int_0^1 x\\,dx", True),
        ("\\[\n\\frac{a}{b}\n\\]", "\\frac{a}{b}", True),
        ("the answer is \\boxed{42}.", "\\boxed{42}", False),
        ("$a\\$b$", "a\\$b", False),
    ],
)
def test_formulas_are_found_with_their_source(text: str, tex: str, display: bool) -> None:
    (found,) = formulas(text)
    assert found.tex == tex
    assert found.display is display
    assert found.source in text


def test_a_display_formula_on_its_own_lines_becomes_its_own_paragraph() -> None:
    shown, (found,) = find_math("Solve:\n$$x = 1$$\nthen go on.")
    assert found.display
    assert "\n\n" in shown.split("Solve:")[1]


def test_markdown_never_sees_the_latex() -> None:
    shown, _ = find_math("Here $a_1 * b_1 * c_1$ and \\(\\{x\\}\\) stay whole.")
    assert "_" not in shown and "*" not in shown and "\\{" not in shown


def test_spellings_mathtext_lacks_are_rewritten() -> None:
    assert to_mathtext("a \\le b \\implies c") == "a \\leq b \\Longrightarrow c"
    assert to_mathtext("\\left( x \\Big) \\tfrac{1}{2}") == "\\left( x ) \\frac{1}{2}"
    assert to_mathtext("\\textbf{v} \\pmod{7}") == "\\mathbf{v} \\ (\\mathrm{mod}\\ 7)"


def test_boxed_is_split_out_at_the_top_level_only() -> None:
    assert boxed_parts("x = \\boxed{5}") == [("x = ", False), ("5", True)]
    assert boxed_parts("\\frac{\\boxed{a}}{b}") == [("\\frac{{a}}{b}", False)]


def test_displayed_fractions_are_full_size() -> None:
    assert display_style("\\frac{a}{b} + \\sqrt{\\frac{1}{2}}") == (
        "\\dfrac{a}{b} + \\sqrt{\\frac{1}{2}}"
    )
