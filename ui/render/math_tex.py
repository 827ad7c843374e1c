r"""LaTeX as models write it, turned into what matplotlib's mathtext reads.

mathtext covers the mathematics models write most (fractions, roots, sums and
integrals with limits, Greek, accents, ``\text``, ``\mathbb``, ``\left(...\right)``)
but spells a few commands differently or lacks them. :func:`to_mathtext` rewrites
those: ``\le`` → ``\leq``, ``\implies`` → ``\Longrightarrow``, ``\tfrac`` → ``\frac``,
``\textbf{x}`` → ``\mathbf{x}``, ``\pmod{n}``, ``\tag{n}``, and drops sizing commands
(``\big``, ``\displaystyle``, ``\limits``) that only adjust spacing. Anything else it
does not know stays as written, and mathtext's refusal then shows the source.

:func:`boxed_parts` splits a formula at its top-level ``\boxed{...}``, which mathtext
lacks; the renderer draws the frame itself.

No Qt here.
"""

from __future__ import annotations

import re

# Same meaning, mathtext's name.
_RENAMED = {
    "le": "leq",
    "ge": "geq",
    "implies": "Longrightarrow",
    "impliedby": "Longleftarrow",
    "iff": "Longleftrightarrow",
    "land": "wedge",
    "lor": "vee",
    "lnot": "neg",
    "tfrac": "frac",
    "cfrac": "dfrac",
    "lt": "<",
    "gt": ">",
    "coloneqq": ":=",
    "mathds": "mathbb",
    "lvert": "|",
    "rvert": "|",
    "lVert": "|",
    "rVert": "|",
    "vert": "|",
    "Vert": "|",
    "bm": "boldsymbol",
    "pmb": "boldsymbol",
    "textbf": "mathbf",
    "textit": "mathit",
    "textrm": "mathrm",
    "textsf": "mathsf",
    "texttt": "mathtt",
    "textup": "mathrm",
    "mbox": "text",
    "hbox": "text",
    "stackrel": "overset",
    "dots": "ldots",
    "dotsc": "ldots",
    "dotsb": "cdots",
}
# Commands that only change sizes or spacing: left out.
_DROPPED = (
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "limits",
    "nolimits",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "Biggl",
    "Biggr",
    "nonumber",
    "notag",
)
_COMMAND = re.compile(r"\\([A-Za-z]+)(?![A-Za-z])")
_DROP = re.compile(
    r"\\(?:" + "|".join(re.escape(name) for name in sorted(_DROPPED, key=len, reverse=True)) + r")"
    r"(?![A-Za-z])"
)
_SPACE_COMMAND = re.compile(r"\\[hv]space\*?\{[^{}]*\}")
_OPERATOR_STAR = re.compile(r"\\operatorname\*")
_MOD = re.compile(r"\\bmod(?![A-Za-z])")
_PMOD = re.compile(r"\\pmod\{([^{}]*)\}")
_TAG = re.compile(r"\\tag\*?\{([^{}]*)\}")
_XARROW = re.compile(r"\\x(right|left)arrow\{([^{}]*)\}")
_ESCAPED_AMPERSAND = re.compile(r"\\&")


def to_mathtext(tex: str) -> str:
    """``tex`` with the spellings mathtext lacks rewritten (see the module docstring)."""
    text = _DROP.sub("", tex)
    text = _SPACE_COMMAND.sub(r"\\quad ", text)
    text = _OPERATOR_STAR.sub(r"\\operatorname", text)
    text = _MOD.sub(r"\\ \\mathrm{mod}\\ ", text)
    text = _PMOD.sub(r"\\ (\\mathrm{mod}\\ \1)", text)
    text = _TAG.sub(r"\\qquad (\1)", text)
    text = _XARROW.sub(r"\\overset{\2}{\\long\1arrow}", text)
    text = _ESCAPED_AMPERSAND.sub("&", text)

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        new = _RENAMED.get(name)
        if new is None:
            return match.group(0)
        return new if not new[0].isalpha() else "\\" + new

    return _COMMAND.sub(rename, text)


def boxed_parts(tex: str) -> list[tuple[str, bool]]:
    r"""``tex`` cut at its top-level ``\boxed{...}``: (LaTeX, boxed) pieces in order.

    A ``\boxed`` nested in a group (``\frac{\boxed{a}}{b}``) is not split out; it is
    shown without its frame.
    """
    parts: list[tuple[str, bool]] = []
    depth = 0
    index = 0
    copied = 0
    while index < len(tex):
        ch = tex[index]
        if ch == "\\":
            if depth == 0 and tex.startswith("\\boxed{", index):
                end = _group_end(tex, index + len("\\boxed"))
                if end > 0:
                    parts.append((tex[copied:index], False))
                    parts.append((tex[index + len("\\boxed{") : end - 1], True))
                    index = copied = end
                    continue
            index += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        index += 1
    parts.append((tex[copied:], False))
    cleaned = [(_NESTED_BOXED.sub("", text), boxed) for text, boxed in parts]
    return [(text, boxed) for text, boxed in cleaned if text.strip() or boxed]


def display_style(tex: str) -> str:
    r"""Top-level ``\frac`` as ``\dfrac``: a displayed fraction is full size, as in LaTeX.

    (mathtext sets every ``\frac`` at the smaller inline size.)
    """
    if "\\frac" not in tex:
        return tex
    out: list[str] = []
    depth = 0
    index = 0
    while index < len(tex):
        ch = tex[index]
        if ch == "\\":
            if depth == 0 and _FRAC.match(tex, index):
                out.append("\\dfrac")
                index += len("\\frac")
                continue
            out.append(tex[index : index + 2])
            index += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        out.append(ch)
        index += 1
    return "".join(out)


_FRAC = re.compile(r"\\frac(?=\s*\{)")
_NESTED_BOXED = re.compile(r"\\boxed(?![A-Za-z])")


def _group_end(text: str, start: int) -> int:
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
