r"""Find the LaTeX formulas in a block of Markdown, before Markdown sees them.

Markdown would mangle LaTeX (``a_1 * b_1`` turns into emphasis, ``\{`` loses its
backslash), so each formula is cut out first and replaced by a placeholder that
Markdown passes through untouched; the renderer swaps the placeholders for images.

What counts as a formula, as Pandoc reads it:

- ``$...$`` inline: the opening ``$`` is followed by a non-space, the closing ``$`` is
  preceded by a non-space and not followed by a digit. So "$5 and $10" stays text,
  and so does "$5-$10". The formula holds no ``$``: the first one after the opening
  ``$`` closes it or, when it cannot, shows that the opening one was a dollar sign.
- ``$$...$$`` display; ``\(...\)`` inline; ``\[...\]`` display.
- A bare ``\boxed{...}`` (how reasoning models mark the final answer), inline.
- Nothing inside code spans; ``\$`` is a dollar sign. A formula without its closing
  delimiter is not a formula (yet): while a reply streams, its source shows until
  the closing delimiter arrives.

No Qt here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Placeholders: private-use characters, which Markdown treats as plain letters.
OPEN = "\ue000"
CLOSE = "\ue001"
PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")


@dataclass(frozen=True)
class Formula:
    """One formula: its LaTeX, how it was written, and whether it is displayed."""

    tex: str
    source: str  # as written, delimiters included: what copy gives and errors show
    display: bool


def placeholder(index: int) -> str:
    return f"{OPEN}{index}{CLOSE}"


def _backtick_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end


def _skip_code_span(text: str, start: int) -> int:
    """Where scanning resumes after the backtick run at ``start`` (past its code span)."""
    run_end = _backtick_run(text, start)
    length = run_end - start
    search = run_end
    while True:
        found = text.find("`" * length, search)
        if found < 0:
            return run_end  # no closing run: the backticks are literal
        closing_end = _backtick_run(text, found)
        if closing_end - found == length:
            return closing_end
        search = closing_end


def _balanced_group(text: str, start: int) -> int:
    """End of the ``{...}`` group opening at ``start``, or -1 if it does not close."""
    depth = 0
    index = start
    while index < len(text):
        ch = text[index]
        if ch == "\\":
            index += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return -1


def _inline_dollar_end(text: str, start: int) -> tuple[int, int]:
    """(end past the closing ``$``, -1) of an inline formula opening at ``start``, or
    (-1, where to look on) when the ``$`` there opens none.

    The first unescaped ``$`` after the opening one decides: it closes the formula if
    it can, and otherwise the opening ``$`` was a plain dollar sign. So in "it costs
    $5, and the formula is $x^2$" the amount stays text and the formula is found.
    """
    first = start + 1
    if first >= len(text) or text[first].isspace() or text[first] == "$":
        return -1, first
    index = first
    while index < len(text):
        ch = text[index]
        if ch == "\\":
            index += 2
            continue
        if ch == "\n" and text.startswith("\n", index + 1):
            return -1, index  # a blank line ends the paragraph
        if ch == "$":
            closes = not text[index - 1].isspace() and not text[index + 1 : index + 2].isdigit()
            return (index + 1, -1) if closes else (-1, index)
        index += 1
    return -1, len(text)


def _closing(text: str, start: int, delimiter: str) -> int:
    """End (past ``delimiter``) of the first unescaped ``delimiter`` from ``start``, or -1."""
    index = start
    while True:
        found = text.find(delimiter, index)
        if found < 0:
            return -1
        backslashes = 0
        while found - backslashes - 1 >= start and text[found - backslashes - 1] == "\\":
            backslashes += 1
        # For "\]" and "\)" the delimiter's own backslash is part of it.
        if delimiter[0] == "\\" or backslashes % 2 == 0:
            return found + len(delimiter)
        index = found + 1


def find_math(markdown: str) -> tuple[str, list[Formula]]:
    """``markdown`` with each formula replaced by a placeholder, and the formulas."""
    if "$" not in markdown and "\\" not in markdown:
        return markdown, []
    out: list[str] = []
    formulas: list[Formula] = []
    text = markdown
    index = 0
    copied = 0

    def take(start: int, end: int, tex: str, display: bool) -> None:
        nonlocal copied
        out.append(text[copied:start])
        out.append(placeholder(len(formulas)))
        formulas.append(Formula(tex=tex, source=text[start:end], display=display))
        copied = end

    while index < len(text):
        ch = text[index]
        if ch == "`":
            index = _skip_code_span(text, index)
            continue
        if ch == "\\":
            pair = text[index : index + 2]
            if pair in ("\\(", "\\["):
                closer = "\\)" if pair == "\\(" else "\\]"
                end = _closing(text, index + 2, closer)
                tex = text[index + 2 : end - 2] if end > 0 else ""
                if end > 0 and tex.strip():
                    take(index, end, tex.strip(), pair == "\\[")
                    index = end
                    continue
            elif text.startswith("\\boxed{", index):
                end = _balanced_group(text, index + len("\\boxed"))
                if end > 0:
                    take(index, end, text[index:end], False)
                    index = end
                    continue
            index += 2  # an escaped character (\$, \\, \*...) is never a delimiter
            continue
        if ch == "$":
            if text.startswith("$$", index):
                end = _closing(text, index + 2, "$$")
                tex = text[index + 2 : end - 2] if end > 0 else ""
                if end > 0 and tex.strip():
                    take(index, end, tex.strip(), True)
                    index = end
                    continue
                index += 2
                continue
            end, resume = _inline_dollar_end(text, index)
            if end > 0:
                take(index, end, text[index + 1 : end - 1], False)
                index = end
            else:
                index = resume
            continue
        index += 1
    if not formulas:
        return markdown, []
    out.append(text[copied:])
    return _set_apart("".join(out), formulas), formulas


def _set_apart(text: str, formulas: list[Formula]) -> str:
    """Give a display formula that fills its lines a paragraph of its own.

    Only at the left margin: inside a list item or a quote it stays where it is,
    on its own line.
    """
    if not any(f.display for f in formulas):
        return text
    lines = text.split("\n")
    changed = False
    for number, line in enumerate(lines):
        match = PLACEHOLDER.fullmatch(line.rstrip())
        if match and formulas[int(match.group(1))].display:
            lines[number] = f"\n{line.rstrip()}\n"
            changed = True
    return "\n".join(lines) if changed else text
