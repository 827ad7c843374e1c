"""Pygments tokens, line by line, for code that grows at its end while it streams.

:class:`CodeTokens` holds the tokens of each line of one code block. A streaming block
only ever changes at its end (new lines, and the incomplete last line growing), so it
keeps *resume points*: the start of a line where no token crosses the line break,
with the lexer's state stack there. An update lexes from the last resume point at or
before the first changed line, which is almost always the start of the last line:
the cost of an update is what arrived, not the size of the block.

Resuming needs the state stack, which Pygments' ``RegexLexer`` keeps inside its
loop. :func:`_lex_from` runs that same documented loop (rules of the current state
tried in order; on a match emit the action's tokens and apply the state change; at a
line break nothing matches, reset to ``root``) so the stack can be read at each line
start. Other lexers (``ExtendedRegexLexer``, delegating and hand-written ones) are
lexed a line at a time while streaming. Every block is lexed whole once when it is
finished, which settles what streaming could not know yet.

No Qt here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

from pygments.lexer import ExtendedRegexLexer, Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# (column, length, token type) of one token's part on one line.
Span = tuple[int, int, _TokenType]
Stack = tuple[str, ...]

ROOT: Stack = ("root",)


def resumable(lexer: Lexer | None) -> bool:
    """Whether the lexer's state can be carried from line to line (see the module)."""
    return _resume_mode(lexer) != "lines"


def _resume_mode(lexer: Lexer | None) -> str:
    """How a block in this lexer's language is lexed while it streams.

    "plain": a plain regex lexer, lexed from resume points by :func:`_lex_from`.
    "stack": a regex lexer that post-processes its tokens (C and C++ mark standard type
    names) and takes a start stack: :func:`_lex_from` finds the resume points, the
    lexer's own method gives the tokens. "lines": every other lexer, a line at a time.
    """
    if not isinstance(lexer, RegexLexer) or isinstance(lexer, ExtendedRegexLexer):
        return "lines"
    method = type(lexer).get_tokens_unprocessed
    if method is RegexLexer.get_tokens_unprocessed:
        return "plain"
    stack = inspect.signature(method).parameters.get("stack")
    return "stack" if stack is not None and stack.default == ROOT else "lines"


def _apply_state(stack: list[str], new_state: Any) -> None:
    """One state change of a matched rule, as RegexLexer applies it."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif state == "#push":
                stack.append(stack[-1])
            else:
                stack.append(state)
    elif isinstance(new_state, int):
        if abs(new_state) >= len(stack):
            del stack[1:]
        else:
            del stack[new_state:]
    elif new_state == "#push":
        stack.append(stack[-1])


def _lex_from(
    lexer: RegexLexer, text: str, stack: Stack, stops: list[tuple[int, Stack]]
) -> Iterator[tuple[int, _TokenType, str]]:
    """Tokens of ``text`` lexed from ``stack``; appends (position, stack) at line starts.

    A line start is recorded only where a token ends exactly at the line break, so
    lexing again from there gives what lexing on would have given; and none after an
    error token, which is most often a construct still open (a string whose closing
    quote has not arrived) whose earlier lines will read differently once it closes.
    """
    rules = lexer._tokens
    states = list(stack)
    state_rules = rules[states[-1]]
    pos = 0
    end = len(text)
    trusted = True
    while pos < end:
        for match_at, action, new_state in state_rules:
            match = match_at(text, pos)
            if match is None:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    trusted = trusted and action is not Error
                    yield pos, action, match.group()
                else:
                    for token in action(lexer, match):
                        trusted = trusted and token[1] is not Error
                        yield token
            pos = match.end()
            if new_state is not None:
                _apply_state(states, new_state)
                state_rules = rules[states[-1]]
            break
        else:
            if text[pos] == "\n":
                states = ["root"]
                state_rules = rules["root"]
                yield pos, Whitespace, "\n"
            else:
                trusted = False
                yield pos, Error, text[pos]
            pos += 1
        if trusted and text[pos - 1 : pos] == "\n":
            stops.append((pos, tuple(states)))


def _spans_by_line(
    tokens: Iterator[tuple[int, _TokenType, str]], line_starts: Sequence[int], first_line: int
) -> dict[int, list[Span]]:
    """Cut tokens at line breaks: {line number: spans}, for lines from ``first_line``."""
    spans: dict[int, list[Span]] = {}
    line = 0
    count = len(line_starts)
    for position, kind, value in tokens:
        start = position
        for piece in value.split("\n"):
            while line + 1 < count and line_starts[line + 1] <= start:
                line += 1
            if piece:
                spans.setdefault(first_line + line, []).append(
                    (start - line_starts[line], len(piece), kind)
                )
            start += len(piece) + 1
    return spans


class CodeTokens:
    """The tokens of each line of one code block; see the module docstring."""

    def __init__(self, lexer: Lexer | None) -> None:
        self._lexer = lexer
        self._mode = _resume_mode(lexer)
        self._lines: list[str] = []
        self._spans: list[list[Span]] = []
        # Resume points: line number -> state stack at that line's start.
        self._resume: dict[int, Stack] = {0: ROOT}
        self._complete = 0  # lines known to be complete (the rest may still grow)
        # Characters handed to the lexer so far: what streaming costs, for tests and benches.
        self.lexed_chars = 0

    @property
    def lexer(self) -> Lexer | None:
        return self._lexer

    def line_count(self) -> int:
        return len(self._lines)

    def spans(self, line: int) -> list[Span]:
        """The tokens of ``line`` (0-based), as last computed; [] past the end."""
        return self._spans[line] if 0 <= line < len(self._spans) else []

    def replace_from(self, line: int, lines: Sequence[str], *, complete: int) -> list[int]:
        """Lines ``line`` onwards are now ``lines``; the first ``complete`` lines of the
        block are final. Returns the numbers of lines whose tokens changed."""
        del self._lines[line:]
        self._lines.extend(lines)
        self._complete = max(self._complete, min(complete, len(self._lines)))
        for stale in [n for n in self._resume if n > line]:
            del self._resume[stale]
        if self._mode != "lines":
            start = max(n for n in self._resume if n <= line)
            return self._relex(start, self._resume[start])
        return self._relex_lines(line)

    def set_all(self, lines: Sequence[str]) -> list[int]:
        """The whole, finished block at once: lexed in one pass."""
        self._lines = list(lines)
        self._complete = len(self._lines)
        self._resume = {0: ROOT}
        if self._lexer is None:
            return self._store(0, {})
        return self._store(0, self._whole_spans())

    def finish(self) -> list[int]:
        """The block is complete: lex it whole once, for what streaming could not know.

        Lexed line by line, a construct that a single pattern matches over several
        lines (a block comment or raw string in some lexers) reads as code until it
        closes; and lexers that cannot resume were lexed a line at a time.
        """
        self._complete = len(self._lines)
        if self._lexer is None:
            return []
        return self._store(0, self._whole_spans())

    def set_lexer(self, lexer: Lexer | None) -> list[int]:
        """Use another lexer (a guessed language); all lines are lexed again."""
        self._lexer = lexer
        self._mode = _resume_mode(lexer)
        self._resume = {0: ROOT}
        if self._mode != "lines":
            return self._relex(0, ROOT)
        if self._complete >= len(self._lines):
            return self._store(0, self._whole_spans())
        return self._relex_lines(0)

    # -- internals ---------------------------------------------------------

    def _relex(self, first: int, stack: Stack) -> list[int]:
        lexer = self._lexer
        assert isinstance(lexer, RegexLexer)
        lines = self._lines[first:]
        text = "\n".join(lines) + "\n"
        self.lexed_chars += len(text)
        starts = _line_starts(lines)
        stops: list[tuple[int, Stack]] = []
        tokens = _lex_from(lexer, text, stack, stops)
        if self._mode == "stack":
            for _token in tokens:  # only the resume points
                pass
            self.lexed_chars += len(text)
            tokens = lexer.get_tokens_unprocessed(text, stack)  # type: ignore[call-arg]
        spans = _spans_by_line(tokens, starts, first)
        by_start = {start: number for number, start in enumerate(starts)}
        for position, state in stops:
            number = by_start.get(position)
            # Only lines whose whole past is final may be resumed from later.
            if number is not None and first + number <= self._complete:
                self._resume[first + number] = state
        return self._store(first, spans)

    def _relex_lines(self, first: int) -> list[int]:
        """Each line from ``first`` lexed on its own, from the lexer's start state."""
        spans: dict[int, list[Span]] = {}
        lexer = self._lexer
        if lexer is not None:
            for number in range(first, len(self._lines)):
                text = self._lines[number] + "\n"
                self.lexed_chars += len(text)
                found = _spans_by_line(lexer.get_tokens_unprocessed(text), [0], number)
                spans[number] = found.get(number, [])
        return self._store(first, spans)

    def _whole_spans(self) -> dict[int, list[Span]]:
        assert self._lexer is not None
        text = "\n".join(self._lines) + "\n"
        self.lexed_chars += len(text)
        tokens = self._lexer.get_tokens_unprocessed(text)
        return _spans_by_line(tokens, _line_starts(self._lines), 0)

    def _store(self, first: int, spans: dict[int, list[Span]]) -> list[int]:
        changed: list[int] = []
        del self._spans[len(self._lines) :]
        for number in range(first, len(self._lines)):
            new = spans.get(number, [])
            if number < len(self._spans):
                if self._spans[number] != new:
                    self._spans[number] = new
                    changed.append(number)
            else:
                self._spans.append(new)
                changed.append(number)
        return changed


def _line_starts(lines: Sequence[str]) -> list[int]:
    starts = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    return starts
