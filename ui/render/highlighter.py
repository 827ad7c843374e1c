"""A small syntax highlighter for code blocks in chat replies.

Keywords, literals, strings, comments and numbers for the languages models
write most, with multi-line comments and strings carried from line to line in
the block state. Works line by line (QSyntaxHighlighter), so a code block that
grows at the end while it streams only re-highlights its last lines.

Colours are picked for the palette's lightness, so light and dark themes both
read well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtGui import (
    QColor,
    QFont,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)


class Token(Enum):
    """What a highlighted span of code is."""

    KEYWORD = "keyword"
    LITERAL = "literal"
    STRING = "string"
    COMMENT = "comment"
    NUMBER = "number"


@dataclass(frozen=True)
class LanguageRules:
    """How to find the tokens of one language."""

    keywords: frozenset[str] = frozenset()
    literals: frozenset[str] = frozenset()
    line_comments: tuple[str, ...] = ()
    block_comment: tuple[str, str] | None = None
    quotes: tuple[str, ...] = ('"', "'")
    # Delimiters of strings that may span lines (Python's triple quotes, JS template).
    multiline_quotes: tuple[str, ...] = ()
    case_sensitive: bool = True


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SLASHES = ("//",)
_SLASH_STAR = ("/*", "*/")

_PYTHON = LanguageRules(
    keywords=_words(
        "and as assert async await break class continue def del elif else except finally "
        "for from global if import in is lambda nonlocal not or pass raise return try "
        "while with yield match case"
    ),
    literals=_words("True False None self cls"),
    line_comments=("#",),
    multiline_quotes=('"""', "'''"),
)
_JAVASCRIPT = LanguageRules(
    keywords=_words(
        "break case catch class const continue debugger default delete do else export "
        "extends finally for function if import in instanceof let new return super switch "
        "this throw try typeof var void while with yield async await of static get set "
        "interface type enum implements private public protected readonly declare as from"
    ),
    literals=_words("true false null undefined NaN Infinity"),
    multiline_quotes=("`",),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_C_FAMILY_KEYWORDS = (
    "auto break case char const continue default do double else enum extern float for goto "
    "if inline int long register return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while bool "
)
_C = LanguageRules(
    keywords=_words(_C_FAMILY_KEYWORDS + "#include #define #ifdef #ifndef #endif #pragma"),
    literals=_words("NULL true false"),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_CPP = LanguageRules(
    keywords=_words(
        _C_FAMILY_KEYWORDS + "class namespace template typename public private protected "
        "virtual override final new delete this using try catch throw operator friend "
        "constexpr noexcept nullptr_t auto decltype explicit mutable static_cast "
        "dynamic_cast reinterpret_cast const_cast #include #define #ifdef #ifndef #endif"
    ),
    literals=_words("true false nullptr NULL"),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_JAVA = LanguageRules(
    keywords=_words(
        "abstract assert boolean break byte case catch char class const continue default do "
        "double else enum extends final finally float for if implements import instanceof "
        "int interface long native new package private protected public return short static "
        "super switch synchronized this throw throws transient try var void volatile while "
        "record sealed permits yield"
    ),
    literals=_words("true false null"),
    multiline_quotes=('"""',),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_CSHARP = LanguageRules(
    keywords=_words(
        "abstract as base bool break byte case catch char class const continue decimal "
        "default delegate do double else enum event explicit extern finally fixed float for "
        "foreach if implicit in int interface internal is lock long namespace new object "
        "operator out override params private protected public readonly ref return sealed "
        "short static string struct switch this throw try typeof uint ulong using var "
        "virtual void volatile while async await record get set"
    ),
    literals=_words("true false null"),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_GO = LanguageRules(
    keywords=_words(
        "break case chan const continue default defer else fallthrough for func go goto if "
        "import interface map package range return select struct switch type var"
    ),
    literals=_words("true false nil iota"),
    multiline_quotes=("`",),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_RUST = LanguageRules(
    keywords=_words(
        "as async await break const continue crate dyn else enum extern fn for if impl in "
        "let loop match mod move mut pub ref return self Self static struct super trait "
        "type unsafe use where while"
    ),
    literals=_words("true false None Some Ok Err"),
    quotes=('"',),  # ' starts lifetimes and chars; leave it alone
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_KOTLIN = LanguageRules(
    keywords=_words(
        "as break class continue do else for fun if in interface is object package return "
        "super this throw try typealias val var when while by catch constructor data enum "
        "finally get import init internal open override private protected public sealed set"
    ),
    literals=_words("true false null"),
    multiline_quotes=('"""',),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_SWIFT = LanguageRules(
    keywords=_words(
        "class deinit enum extension func import init let protocol struct subscript "
        "typealias var break case continue default defer do else fallthrough for guard if "
        "in repeat return switch where while as catch is throw throws try async await self"
    ),
    literals=_words("true false nil"),
    multiline_quotes=('"""',),
    line_comments=_SLASHES,
    block_comment=_SLASH_STAR,
)
_SHELL = LanguageRules(
    keywords=_words(
        "if then else elif fi for while until do done case esac function in select return "
        "exit export local readonly declare source alias unset set shift break continue"
    ),
    literals=_words("true false"),
    line_comments=("#",),
)
_SQL = LanguageRules(
    keywords=_words(
        "select from where insert into values update set delete create table drop alter add "
        "index join inner left right outer full cross on group by order having limit offset "
        "as and or not is in like between distinct union all primary key foreign references "
        "default exists case when then else end begin commit rollback view with returning "
        "asc desc if integer text real blob varchar"
    ),
    literals=_words("null true false"),
    line_comments=("--",),
    block_comment=("/*", "*/"),
    quotes=("'", '"'),
    case_sensitive=False,
)
_JSON = LanguageRules(literals=_words("true false null"), quotes=('"',))
_YAML = LanguageRules(literals=_words("true false null yes no on off ~"), line_comments=("#",))
_TOML = LanguageRules(literals=_words("true false"), line_comments=("#",))
_RUBY = LanguageRules(
    keywords=_words(
        "alias and begin break case class def defined? do else elsif end ensure for if in "
        "module next not or redo rescue retry return super then undef unless until when "
        "while yield require require_relative attr_accessor"
    ),
    literals=_words("true false nil self"),
    line_comments=("#",),
)
_LUA = LanguageRules(
    keywords=_words(
        "and break do else elseif end for function goto if in local not or repeat return "
        "then until while"
    ),
    literals=_words("true false nil"),
    line_comments=("--",),
)
_MARKUP = LanguageRules(block_comment=("<!--", "-->"))
_PLAIN = LanguageRules()

_LANGUAGES: dict[str, LanguageRules] = {}
for _names, _rules in (
    ("python py python3 py3 ipython pyi", _PYTHON),
    ("javascript js jsx mjs cjs typescript ts tsx node", _JAVASCRIPT),
    ("c h", _C),
    ("cpp c++ cc cxx hpp hh hxx objc objective-c", _CPP),
    ("java", _JAVA),
    ("csharp cs c#", _CSHARP),
    ("go golang", _GO),
    ("rust rs", _RUST),
    ("kotlin kt kts", _KOTLIN),
    ("swift", _SWIFT),
    ("bash sh shell zsh console shellsession fish powershell ps1 dockerfile make makefile", _SHELL),
    ("sql sqlite postgresql postgres mysql", _SQL),
    ("json jsonc json5", _JSON),
    ("yaml yml", _YAML),
    ("toml ini cfg conf", _TOML),
    ("ruby rb", _RUBY),
    ("lua", _LUA),
    ("html xml svg xhtml vue", _MARKUP),
):
    for _name in _names.split():
        _LANGUAGES[_name] = _rules


def rules_for(language: str) -> LanguageRules:
    """The rules for a fence's language name; plain rules if unknown."""
    return _LANGUAGES.get(language.strip().lower(), _PLAIN)


_NUMBER = r"(?<![\w.])(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)"
_WORD = r"#?[A-Za-z_][\w$?]*"

# Palettes: (light background, dark background).
_COLOURS: dict[Token, tuple[str, str]] = {
    Token.KEYWORD: ("#8959a8", "#c397d8"),
    Token.LITERAL: ("#b35900", "#e5a15c"),
    Token.STRING: ("#3e8a2e", "#98c379"),
    Token.COMMENT: ("#6a737d", "#8b949e"),
    Token.NUMBER: ("#1f6fb2", "#6cb6ff"),
}

# Block states: -1 is "nothing open"; these mark what the previous line left open.
_IN_BLOCK_COMMENT = 1
_IN_STRING_BASE = 2  # + index into rules.multiline_quotes


class CodeHighlighter(QSyntaxHighlighter):
    """Highlights one code block's document for one language."""

    def __init__(self, document: QTextDocument, language: str, palette: QPalette) -> None:
        super().__init__(document)
        self._rules = rules_for(language)
        self._formats: dict[Token, QTextCharFormat] = {}
        self._pattern = self._compile(self._rules)
        self.set_palette(palette, rehighlight=False)

    @property
    def rules(self) -> LanguageRules:
        """The language rules in use."""
        return self._rules

    def format_for(self, token: Token) -> QTextCharFormat:
        """The character format used for ``token``."""
        return self._formats[token]

    def set_palette(self, palette: QPalette, *, rehighlight: bool = True) -> None:
        """Pick colours for the palette's lightness; re-highlight if asked."""
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        for token, (light_colour, dark_colour) in _COLOURS.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(dark_colour if dark else light_colour))
            if token is Token.KEYWORD:
                fmt.setFontWeight(QFont.Weight.Bold)
            if token is Token.COMMENT:
                fmt.setFontItalic(True)
            self._formats[token] = fmt
        if rehighlight:
            self.rehighlight()

    @staticmethod
    def _compile(rules: LanguageRules) -> re.Pattern[str]:
        parts: list[str] = []
        if rules.line_comments:
            parts.append("(?P<line_comment>" + "|".join(map(re.escape, rules.line_comments)) + ")")
        if rules.block_comment:
            parts.append("(?P<block_comment>" + re.escape(rules.block_comment[0]) + ")")
        if rules.multiline_quotes:
            parts.append("(?P<multiline>" + "|".join(map(re.escape, rules.multiline_quotes)) + ")")
        if rules.quotes:
            parts.append("(?P<quote>" + "|".join(map(re.escape, rules.quotes)) + ")")
        parts.append("(?P<number>" + _NUMBER + ")")
        parts.append("(?P<word>" + _WORD + ")")
        return re.compile("|".join(parts))

    def highlightBlock(self, text: str) -> None:
        spans: list[tuple[int, int, Token]] = []
        state = self._scan(text, self.previousBlockState(), spans)
        self.setCurrentBlockState(state)
        if not spans:
            return
        to_utf16 = _utf16_offsets(text)
        for start, end, token in spans:
            first, last = to_utf16(start), to_utf16(end)
            self.setFormat(first, last - first, self._formats[token])

    def _scan(self, text: str, state: int, spans: list[tuple[int, int, Token]]) -> int:
        """Collect (start, end, token) spans of ``text``; return the state it leaves."""
        rules = self._rules
        pos = 0
        if state == _IN_BLOCK_COMMENT and rules.block_comment:
            pos = self._close_block_comment(text, 0, spans)
            if pos < 0:
                return _IN_BLOCK_COMMENT
        elif state >= _IN_STRING_BASE and state - _IN_STRING_BASE < len(rules.multiline_quotes):
            delimiter = rules.multiline_quotes[state - _IN_STRING_BASE]
            end = _find_closing(text, delimiter, 0)
            if end < 0:
                spans.append((0, len(text), Token.STRING))
                return state
            spans.append((0, end, Token.STRING))
            pos = end
        while pos < len(text):
            match = self._pattern.search(text, pos)
            if match is None:
                break
            kind, start = match.lastgroup, match.start()
            if kind == "line_comment":
                spans.append((start, len(text), Token.COMMENT))
                break
            if kind == "block_comment":
                pos = self._close_block_comment(text, start, spans, skip=len(match.group()))
                if pos < 0:
                    return _IN_BLOCK_COMMENT
                continue
            if kind == "multiline":
                delimiter = match.group()
                end = _find_closing(text, delimiter, match.end())
                if end < 0:
                    spans.append((start, len(text), Token.STRING))
                    return _IN_STRING_BASE + rules.multiline_quotes.index(delimiter)
                spans.append((start, end, Token.STRING))
                pos = end
                continue
            if kind == "quote":
                end = _find_closing(text, match.group(), match.end())
                end = len(text) if end < 0 else end  # unterminated: to end of line
                spans.append((start, end, Token.STRING))
                pos = end
                continue
            word = match.group()
            if kind == "number":
                spans.append((start, match.end(), Token.NUMBER))
            elif kind == "word":
                key = word if rules.case_sensitive else word.lower()
                if key in rules.keywords:
                    spans.append((start, match.end(), Token.KEYWORD))
                elif key in rules.literals:
                    spans.append((start, match.end(), Token.LITERAL))
            pos = max(match.end(), pos + 1)
        return -1

    def _close_block_comment(
        self, text: str, start: int, spans: list[tuple[int, int, Token]], skip: int = 0
    ) -> int:
        """Mark a block comment from ``start``; return where it ends, -1 if it goes on."""
        assert self._rules.block_comment is not None
        closer = self._rules.block_comment[1]
        end = text.find(closer, start + skip)
        if end < 0:
            spans.append((start, len(text), Token.COMMENT))
            return -1
        spans.append((start, end + len(closer), Token.COMMENT))
        return end + len(closer)


def _find_closing(text: str, delimiter: str, start: int) -> int:
    """Index just past the closing ``delimiter`` (backslash escapes honoured), or -1."""
    pos = start
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text.startswith(delimiter, pos):
            return pos + len(delimiter)
        pos += 1
    return -1


def _utf16_offsets(text: str) -> Callable[[int], int]:
    """Map Python string indices to Qt's UTF-16 indices for ``text``."""
    if text.isascii() or all(ord(ch) <= 0xFFFF for ch in text):
        return lambda index: index
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return lambda index: prefix[index]
