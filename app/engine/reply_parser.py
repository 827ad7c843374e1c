"""Turns a model's raw streamed output into typed pieces: answer text, thinking text and,
when the request offered tools, tool calls.

Owns the reply formats of the model families: thinking tags (``<think>…</think>`` and
``[THINK]…[/THINK]``, "tags") and gpt-oss's harmony channels ("harmony"), and keeps every
special-token text out of what the user sees. The engine feeds text exactly as it was
detokenized, special tokens included, chunk by chunk; nothing downstream ever sees markup.
Tool calls in the answer are read by ``app.engine.call_reader`` in the family's call
format (``app.engine.tool_calls``); harmony's calls are its tool-addressed messages.

Text rules, the same for both formats:
- each stretch of thinking or answer (a think block, the answer after it, one harmony
  message, the answer after a tool call) starts at its first visible character:
  whitespace right after a tag or header is dropped;
- thinking also loses its trailing whitespace (held back until more thinking shows it
  is inside), and so does the answer when tools were offered;
- stretches of one kind are joined by a blank line (harmony: a preamble, then the answer);
- a possible tag or marker at the end of a chunk is held back until it is known, and text
  held back when the reply ends is released as ordinary text: it never became a tag;
- a tool call is a piece of its own and never shows as text; one the model botched is a
  call with its ``error`` set. Calls are read only when the request offered tools, so an
  answer that writes ``<tool_call>`` otherwise shows it as written.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from app.engine.call_reader import AnswerWithCalls
from app.engine.marker_scanner import MarkerScanner
from app.engine.reply_pieces import Outlet, Piece, PieceKind, PieceList
from app.engine.tool_calls import ToolCall, ToolCallFormat, decode_harmony_call

__all__ = ["Piece", "PieceKind", "ReplyParser", "ThinkingFormat", "ToolCall", "ToolCallFormat"]

ThinkingFormat = Literal["tags", "harmony"]


class ReplyParser:
    """Parses one reply; make a new one for each reply."""

    def __init__(
        self,
        fmt: ThinkingFormat = "tags",
        *,
        starts_in_thinking: bool = False,
        hidden_markers: Sequence[str] = (),
        tools_offered: bool = False,
        tool_format: ToolCallFormat = "hermes",
    ) -> None:
        """fmt: the family's reply format. starts_in_thinking: the prompt already opened
        the thinking (a generation prompt ending in ``<think>``). hidden_markers: texts
        of special tokens that must never show (the vocabulary's control tokens).
        tools_offered: the request offered tools, so calls are read. tool_format: how the
        family writes calls (``families.tool_call_format``); harmony reads its own."""
        self._pieces = PieceList()
        self._reader: _TagReader | _HarmonyReader
        call_markers: tuple[str, ...] = ()
        if fmt == "tags":
            calls = None
            if tools_offered:
                calls = AnswerWithCalls(tool_format, self._pieces, hidden=hidden_markers)
                call_markers = calls.markers
            self._reader = _TagReader(
                self._pieces,
                starts_in_thinking=starts_in_thinking,
                calls=calls,
                hidden=hidden_markers,
            )
        elif fmt == "harmony":
            self._reader = _HarmonyReader(
                self._pieces, starts_in_thinking=starts_in_thinking, tools_offered=tools_offered
            )
        else:
            raise ValueError(f"unknown thinking format: {fmt!r}")
        self._format_markers = frozenset(self._reader.MARKERS)
        self._call_markers = frozenset(call_markers)
        self._scanner = MarkerScanner([*self._reader.MARKERS, *call_markers, *hidden_markers])

    def feed(self, text: str) -> list[Piece]:
        """The pieces this text completes, in order: answer and thinking text (never
        empty, never markup) and tool calls (text: the call's raw text, maybe empty)."""
        self._read(self._scanner.feed(text))
        return self._pieces.take()

    def finish(self) -> list[Piece]:
        """The end of the reply: what was held back. A reply cut off while thinking
        keeps its thinking as thinking; a call cut off is read as far as it got."""
        self._read(self._scanner.finish())
        self._reader.finish()
        return self._pieces.take()

    def _read(self, segments: Sequence[tuple[str, bool]]) -> None:
        for text, is_marker in segments:
            if not is_marker:
                self._reader.on_text(text)
            elif text in self._call_markers:
                assert isinstance(self._reader, _TagReader)
                self._reader.on_call_marker(text)
            elif text in self._format_markers:
                self._reader.on_marker(text)
            # Any other marker is a hidden special token: it is dropped where it stands.


# Each opening tag and the closing tag that ends it.
_CLOSING_OF = {"<think>": "</think>", "[THINK]": "[/THINK]"}


class _TagReader:
    """``<think>…</think>`` or ``[THINK]…[/THINK]`` before the answer.

    An opening tag counts only before any answer text, so an answer that talks about
    ``<think>`` stays as written; a closing tag matching such a literal opening tag stays
    too. A closing tag with no opening is dropped.
    """

    MARKERS = (*_CLOSING_OF, *_CLOSING_OF.values())

    def __init__(
        self,
        pieces: PieceList,
        *,
        starts_in_thinking: bool,
        calls: AnswerWithCalls | None = None,
        hidden: Collection[str] = (),
    ) -> None:
        """calls: the answer's call reader, when the request offered tools."""
        self._calls = calls
        self._answer: Outlet | AnswerWithCalls = calls or Outlet("answer", pieces, trims_end=False)
        self._thinking = Outlet("thinking", pieces, trims_end=True)
        self._hidden = frozenset(hidden)
        self._in_thinking = starts_in_thinking
        self._closing: str | None = None  # the tag that ends this thinking; None: either
        self._literal_openings: dict[str, int] = {}  # by their closing tag

    def on_text(self, text: str) -> None:
        (self._thinking if self._in_thinking else self._answer).write(text)

    def on_marker(self, tag: str) -> None:
        if self._calls is not None and self._calls.in_call:
            self._calls.write(tag)  # a tag inside a call is the call's text
        elif tag in _CLOSING_OF:
            self._on_opening(tag)
        else:
            self._on_closing(tag)

    def on_call_marker(self, marker: str) -> None:
        """A marker of the tool-call format: calls are made in the answer only."""
        if not self._in_thinking:
            assert self._calls is not None
            self._calls.on_marker(marker)
        elif marker not in self._hidden:
            self._thinking.write(marker)

    def finish(self) -> None:
        self._thinking.end()
        if self._calls is not None:
            self._calls.finish()

    def _on_opening(self, tag: str) -> None:
        closing = _CLOSING_OF[tag]
        if self._in_thinking:
            # Before any thinking text it repeats the prompt's own opening: not text.
            if self._thinking.started:
                self._thinking.write(tag)
        elif not self._answer.started:
            self._in_thinking = True
            self._closing = closing
            self._thinking.begin()
        else:
            self._literal_openings[closing] = self._literal_openings.get(closing, 0) + 1
            self._answer.write(tag)

    def _on_closing(self, tag: str) -> None:
        if self._in_thinking:
            if self._closing in (None, tag):
                self._in_thinking = False
                self._thinking.end()
                self._answer.begin()
            else:
                self._thinking.write(tag)
        elif self._literal_openings.get(tag, 0) > 0:
            self._literal_openings[tag] -= 1
            self._answer.write(tag)
        # Otherwise a stray closing tag: never shown.


_START = "<|start|>"
_CHANNEL = "<|channel|>"
_CONSTRAIN = "<|constrain|>"
_MESSAGE = "<|message|>"
_MESSAGE_ENDS = ("<|end|>", "<|return|>", "<|call|>")
# A header longer than this is not a header; the rest of it is ignored.
_HEADER_LIMIT = 256

# Where a harmony message's text goes: shown as answer or thinking, or kept from the
# user ("tool": a message addressed to a tool; "none": a turn of another role).
_Route = Literal["answer", "thinking", "tool", "none"]


class _HarmonyReader:
    """gpt-oss's harmony messages: ``<|start|>ROLE<|channel|>CHANNEL<|message|>TEXT<|end|>``.

    analysis is thinking; final, and commentary addressed to no one (a preamble for the
    user), are the answer; a message with a recipient (``to=functions.NAME``: a tool call)
    is neither: it becomes a tool-call piece when the request offered tools, and is
    dropped otherwise. Text outside any message is answer. Headers never show.
    """

    MARKERS = (_START, _CHANNEL, _CONSTRAIN, _MESSAGE, *_MESSAGE_ENDS)

    def __init__(
        self, pieces: PieceList, *, starts_in_thinking: bool, tools_offered: bool = False
    ) -> None:
        self._pieces = pieces
        self._tools_offered = tools_offered
        self._outlets: dict[_Route, Outlet] = {
            "answer": Outlet("answer", pieces, trims_end=False),
            "thinking": Outlet("thinking", pieces, trims_end=True),
        }
        self._header: list[str] | None = None  # the header being read, if any
        self._header_size = 0
        self._route: _Route = "answer"
        self._tool_header = ""
        self._tool_text: list[str] = []
        self._begin_message("thinking" if starts_in_thinking else "answer")

    def on_text(self, text: str) -> None:
        if self._header is not None:
            self._read_header(text)
        elif self._route == "tool":
            self._tool_text.append(text)
        elif self._route != "none":
            self._outlets[self._route].write(text)

    def on_marker(self, marker: str) -> None:
        if marker == _START or (marker == _CHANNEL and self._header is None):
            self._end_message()
            self._header = []
            self._header_size = 0
        if marker in (_CHANNEL, _CONSTRAIN) and self._header is not None:
            self._header.append(marker)
        elif marker == _MESSAGE and self._header is not None:
            header = "".join(self._header)
            self._header = None
            self._begin_message(_route_of(header), header)
        elif marker in _MESSAGE_ENDS:
            self._header = None  # a header cut short is dropped
            self._end_message()
        # <|message|> or <|constrain|> outside a header: nothing to show.

    def finish(self) -> None:
        self._header = None
        self._end_message()

    def _read_header(self, text: str) -> None:
        assert self._header is not None
        room = _HEADER_LIMIT - self._header_size
        if room > 0:
            self._header.append(text[:room])
            self._header_size += min(room, len(text))

    def _begin_message(self, route: _Route, header: str = "") -> None:
        self._route = route
        if route == "tool":
            self._tool_header, self._tool_text = header, []
        elif route != "none":
            self._outlets[route].begin()

    def _end_message(self) -> None:
        if self._route == "tool":
            # The message is complete here (its <|call|> ends the reply, or the next
            # header begins): it is a call if the assistant wrote it.
            if self._tools_offered and _is_assistants(self._tool_header):
                text = "".join(self._tool_text)
                self._pieces.add_call(decode_harmony_call(self._tool_header, text))
            self._tool_header, self._tool_text = "", []
        elif self._route != "none":
            self._outlets[self._route].end()
        # Until the next header, stray text is answer.
        self._begin_message("answer")


def _is_assistants(header: str) -> bool:
    """Whether the message is the assistant's (a header with no role continues its turn)."""
    role_words = header.partition(_CHANNEL)[0].split()
    return not role_words or role_words[0] == "assistant"


def _route_of(header: str) -> _Route:
    """Where a message with this header (role, channel, recipient, constraint) goes."""
    if "to=" in header:
        return "tool"
    role, _, channel = header.partition(_CHANNEL)
    role_words = role.split()
    if role_words and role_words[0] != "assistant":
        return "none"
    channel_words = channel.partition(_CONSTRAIN)[0].split()
    if channel_words and channel_words[0] == "analysis":
        return "thinking"
    return "answer"


class VerbatimParser:
    """A raw completion's text as the model wrote it (``/v1/completions``): no thinking,
    no calls, and nothing trimmed, so the prompt and the text read on as one."""

    def feed(self, text: str) -> list[Piece]:
        return [Piece("answer", text)] if text else []

    def finish(self) -> list[Piece]:
        return []
