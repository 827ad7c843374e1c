"""Split streamed Markdown into finished blocks and an open tail.

The splitter is fed text chunks as a reply streams in. It works on complete
lines only, so where it draws block boundaries depends on the text, never on
how the text was cut into chunks: streaming a message and feeding it at once
give the same blocks.

A prose block is finished when a blank line is followed by a line that does
not continue it (an indented line continues it, e.g. a list item's second
paragraph). A fenced code block is finished at its closing fence. Everything
after the last finished block is the *tail*, which the view re-renders on
every update; finished blocks are rendered once.

No Qt here: this module is plain text processing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# An opening fence: up to any indentation (fences inside list items are lifted
# out as top-level code blocks), three or more backticks or tildes, info string.
_OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")


@dataclass(frozen=True)
class ProseBlock:
    """Finished Markdown prose (paragraphs, lists, tables, quotes, headings)."""

    text: str


@dataclass(frozen=True)
class CodeBlock:
    """A finished fenced code block: the code between the fences, no fences."""

    language: str
    code: str


Block = ProseBlock | CodeBlock


@dataclass
class OpenCode:
    """The fenced code block the stream is inside of, as far as it has come."""

    language: str
    lines: list[str] = field(default_factory=list)
    # The incomplete last line; None when there is none or while it may still
    # become the closing fence (so a fence being typed never flashes up as code).
    partial: str | None = None


@dataclass
class _Fence:
    char: str
    length: int
    indent: int
    language: str
    lines: list[str] = field(default_factory=list)


def _indent_width(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def _strip_indent(line: str, width: int) -> str:
    """Remove up to ``width`` leading spaces, as CommonMark does for fenced code."""
    cut = 0
    while cut < width and cut < len(line) and line[cut] in " \t":
        cut += 1
    return line[cut:]


def _language_of(info: str) -> str:
    words = info.strip().split()
    if not words:
        return ""
    # "{.python}" and "python{...}" style attributes: keep the bare name.
    return words[0].strip("{}.").split("{")[0].lower()


def _opening_fence(line: str) -> _Fence | None:
    match = _OPEN_FENCE.match(line)
    if match is None:
        return None
    fence = match.group("fence")
    info = match.group("info")
    # A backtick fence's info string cannot contain backticks (CommonMark).
    if fence[0] == "`" and "`" in info:
        return None
    return _Fence(
        char=fence[0],
        length=len(fence),
        indent=_indent_width(match.group("indent")),
        language=_language_of(info),
    )


def _closes(fence: _Fence, line: str) -> bool:
    stripped = line.strip(" \t")
    return (
        len(stripped) >= fence.length
        and stripped == fence.char * len(stripped)
        and stripped[0] == fence.char
    )


def _may_close(fence: _Fence, partial: str) -> bool:
    """Whether an incomplete line could still turn out to be the closing fence."""
    stripped = partial.strip(" \t")
    return bool(stripped) and stripped == fence.char * len(stripped)


class BlockSplitter:
    """Incremental Markdown block splitter; see the module docstring."""

    def __init__(self) -> None:
        self._partial = ""
        self._pending: list[str] = []
        self._blank_seen = False
        self._fence: _Fence | None = None
        # After an indented fence (inside a list item) the text that follows is
        # indented the same way; strip that so it does not turn into code.
        self._dedent = 0

    def feed(self, chunk: str) -> list[Block]:
        """Take more text; return the blocks this chunk finished, in order."""
        if not chunk:
            return []
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        finished: list[Block] = []
        for line in lines:
            self._take_line(line.removesuffix("\r"), finished)
        return finished

    @property
    def tail_prose(self) -> str:
        """Markdown of the unfinished prose block (with the incomplete line)."""
        if self._fence is not None:
            return ""
        lines = list(self._pending)
        partial = self._partial.removesuffix("\r")
        # A fence being typed is left out until its line is complete, rather
        # than shown for a moment as an empty code block inside the prose.
        if partial and _opening_fence(partial) is None:
            lines.append(_strip_indent(partial, self._dedent))
        return "\n".join(lines).strip("\n")

    @property
    def tail_code(self) -> OpenCode | None:
        """The open fenced code block, if the stream is inside one."""
        fence = self._fence
        if fence is None:
            return None
        partial: str | None = self._partial.removesuffix("\r")
        if not partial or _may_close(fence, partial):
            partial = None
        else:
            partial = _strip_indent(partial, fence.indent)
        return OpenCode(language=fence.language, lines=fence.lines, partial=partial)

    def _take_line(self, line: str, finished: list[Block]) -> None:
        fence = self._fence
        if fence is not None:
            if _closes(fence, line):
                finished.append(CodeBlock(fence.language, "\n".join(fence.lines)))
                self._fence = None
                self._dedent = fence.indent
            else:
                fence.lines.append(_strip_indent(line, fence.indent))
            return

        opening = _opening_fence(line)
        if opening is not None:
            # A fence interrupts a paragraph or list: what came before is done.
            self._flush(finished)
            self._fence = opening
            return

        if not line.strip():
            if self._pending:
                self._pending.append("")
                self._blank_seen = True
            return

        if self._blank_seen and line[0] not in " \t":
            self._flush(finished)
            self._dedent = 0
        self._blank_seen = False
        self._pending.append(_strip_indent(line, self._dedent))

    def _flush(self, finished: list[Block]) -> None:
        text = "\n".join(self._pending).strip("\n")
        if text:
            finished.append(ProseBlock(text))
        self._pending = []
        self._blank_seen = False
