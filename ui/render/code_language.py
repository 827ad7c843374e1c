"""Which Pygments lexer reads a code block: the fence's language, or a guess.

:func:`lexer_for` looks the fence's tag up among every language Pygments knows, by
name, alias or file extension (``python``, ``py``, ``rs``, ``c++``...).

:func:`guess_lexer` is for a fence with no tag. Pygments' own ``guess_lexer`` weighs
all ~600 of its lexers by ``analyse_text``, which only recognises marked-up text (a
shebang, ``<?php``, a doctype) and picks odd languages for a few lines of ordinary
code. So the guess is, in order: JSON that parses; a Pygments ``analyse_text`` score
of at least 0.5 among the languages models write most; then the telling constructs
of those languages (``def ...:`` and ``import`` for Python, ``fn`` and ``let mut``
for Rust, and so on), and plain text when nothing is telling enough.

No Qt here.
"""

from __future__ import annotations

import json
import re
from functools import cache

from pygments.lexer import Lexer
from pygments.lexers import find_lexer_class_by_name, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

# Tags that mean "no language".
PLAIN = frozenset({"", "text", "txt", "plain", "plaintext", "output", "none", "nohighlight"})
# Lines a guess looks at: enough to tell, few enough to stay quick.
GUESS_LINES = 40

# Telling constructs: (language, weight, pattern). A guess needs a total of 2.
_M = re.MULTILINE
_SIGNS: tuple[tuple[str, int, re.Pattern[str]], ...] = tuple(
    (language, weight, re.compile(pattern, flags))
    for language, weight, pattern, flags in (
        ("python", 2, r"^\s*def \w+\(.*\)\s*(->.*)?:\s*$", _M),
        ("python", 2, r"^\s*(from [\w.]+ )?import \w[\w.]*(\s+as \w+)?\s*$", _M),
        ("python", 1, r"^\s*(if|elif|for|while|with|try|except|else)\b.*:\s*$", _M),
        ("python", 1, r"\b(print|range|len)\(|\bself\.|\bNone\b", 0),
        ("javascript", 2, r"\b(const|let|var) \w+\s*=", 0),
        ("javascript", 1, r"\bfunction\s*\w*\s*\(|=>|console\.\w+\(", 0),
        ("javascript", 1, r"\brequire\(|^import .* from ['\"]", _M),
        ("typescript", 2, r"\binterface \w+\s*\{|:\s*(string|number|boolean)\b", 0),
        ("rust", 2, r"\bfn \w+\s*(<.*>)?\(", 0),
        ("rust", 1, r"\blet (mut )?\w+|\b(println|vec|format)!|\bimpl\b|&str\b", 0),
        ("go", 2, r"^package \w+\s*$|\bfunc (\(.*\) )?\w+\(", _M),
        ("go", 1, r":=|\bfmt\.\w+\(", 0),
        ("c", 2, r"^#include\s*[<\"]", _M),
        ("c", 1, r"\bint main\s*\(|\bprintf\(|\bmalloc\(", 0),
        ("cpp", 3, r"\bstd::|#include <(iostream|vector|string)>", 0),
        ("java", 2, r"\bpublic (static )?(final )?(class|void|int) |System\.out\.", 0),
        ("csharp", 2, r"^using System|Console\.Write", _M),
        (
            "bash",
            2,
            r"^\s*(sudo|apt(-get)?|pip3?|npm|cd|ls|echo|export|git|curl|mkdir|brew|docker"
            r"|chmod|cargo|make)\b",
            _M,
        ),
        ("bash", 1, r"^\s*(if \[|fi|done|then|do)\s*$|\$\{?\w+\}?", _M),
        ("sql", 2, r"(?i)\bselect\b[\s\S]*\bfrom\b|\b(insert into|create table|delete from)\b", 0),
        ("sql", 1, r"(?i)\b(where|group by|order by|join)\b", 0),
        ("html", 2, r"<(html|head|body|div|span|p|a|ul|li|script|table)\b[^>]*>", 0),
        ("css", 1, r"^[.#@:\w-][^\n{};=()]*\{[ \t]*$", _M),
        ("css", 1, r"^[ \t]*[\w-]+[ \t]*:[^;{}\n]+;[ \t]*$", _M),
        ("yaml", 1, r"^\s*[\w-]+:(\s+\S.*)?$", _M),
        ("yaml", 1, r"^\s*- \S|^---\s*$", _M),
        ("toml", 2, r"^\[[\w.-]+\]\s*$", _M),
        ("toml", 1, r"^[\w-]+\s*=\s*[\"\d\[{tf]", _M),
        ("ruby", 2, r"^\s*end\s*$|\bputs\b|\bdo \|\w+\|", _M),
        ("docker", 2, r"^(FROM|RUN|CMD|COPY|WORKDIR|ENTRYPOINT|EXPOSE|ENV) ", _M),
        ("powershell", 2, r"\b(Get|Set|New|Remove|Write)-[A-Z]\w+", 0),
    )
)
# Languages whose analyse_text is trusted for a guess (it recognises a marker).
_MARKED = ("php", "html", "xml", "bash", "perl", "ruby")


@cache
def lexer_for(language: str) -> Lexer | None:
    """The lexer for a fence's tag, or None for plain text or a tag Pygments lacks."""
    tag = language.strip().lower()
    if tag in PLAIN:
        return None
    try:
        return get_lexer_by_name(tag)
    except ClassNotFound:
        pass
    try:
        return get_lexer_for_filename(f"code.{tag}")
    except ClassNotFound:
        return None


def guess_lexer(code: str) -> Lexer | None:
    """A lexer for untagged code, or None when it does not look like a known language."""
    sample = "\n".join(code.split("\n", GUESS_LINES)[:GUESS_LINES])
    if not sample.strip():
        return None
    stripped = sample.strip()
    if stripped[0] in "[{" and stripped == code.strip():
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            return lexer_for("json")
    marked = _marked_language(sample)
    if marked is not None:
        return lexer_for(marked)
    scores: dict[str, int] = {}
    for language, weight, pattern in _SIGNS:
        if pattern.search(sample):
            scores[language] = scores.get(language, 0) + weight
    if not scores:
        return None
    best = max(scores, key=lambda name: scores[name])
    return lexer_for(best) if scores[best] >= 2 else None


def _marked_language(sample: str) -> str | None:
    best, best_score = None, 0.5
    for name in _MARKED:
        score = find_lexer_class_by_name(name).analyse_text(sample)
        if score >= best_score and score > 0:
            best, best_score = name, score
            if score >= 1.0:
                break
    return best


def display_name(lexer: Lexer | None) -> str:
    """How the block's header names the language."""
    return lexer.name if lexer is not None else "text"
