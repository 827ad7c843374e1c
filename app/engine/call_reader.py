"""Takes tool calls out of a streamed answer, for a request that offered tools.

The answer text goes through here on its way to the user. A call's opening marker
(``<tool_call>``, ``[TOOL_CALLS]``, …, see ``app.engine.tool_calls.SYNTAX``) switches to
collecting the call's text, which is never shown; its closing marker, or the end of the
reply, turns that text into tool-call pieces, and the answer goes on after it. For the
Llama 3 format, an answer that begins with a JSON object naming a tool is held back until
it is known to be a call or an answer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from app.engine.reply_pieces import Outlet, PieceList
from app.engine.tool_calls import SYNTAX, ToolCallFormat, decode_calls

# The first key of a JSON object that makes a whole reply a call (Llama 3.x).
_WHOLE_REPLY_KEYS = ("name", "function", "type")


class AnswerWithCalls:
    """The answer outlet of one reply, with its tool calls taken out."""

    def __init__(
        self, fmt: ToolCallFormat, pieces: PieceList, *, hidden: Collection[str] = ()
    ) -> None:
        """hidden: special-token texts never shown, even as literal text outside a call."""
        self._fmt = fmt
        self._syntax = SYNTAX[fmt]
        self._pieces = pieces
        # Trailing whitespace waits, so that the text before a call does not end in it.
        self._answer = Outlet("answer", pieces, trims_end=True)
        self._hidden = frozenset(hidden)
        self._opener: str | None = None  # the call being read ("": a whole-reply call)
        self._body: list[str] = []
        # The answer's start, held while it may still be a whole-reply call.
        self._start: list[str] | None = [] if self._syntax.whole_reply_json else None

    @property
    def markers(self) -> tuple[str, ...]:
        return self._syntax.markers

    @property
    def in_call(self) -> bool:
        return self._opener is not None

    @property
    def started(self) -> bool:
        """Whether this stretch of the answer has anything in it, a call included."""
        held = self._start is not None and "".join(self._start).strip()
        return self._answer.started or self.in_call or bool(held)

    def begin(self) -> None:
        self._answer.begin()

    def write(self, text: str) -> None:
        if self._opener is not None:
            self._body.append(text)
            return
        if self._start is not None:
            self._start.append(text)
            held = "".join(self._start)
            verdict = _whole_reply_verdict(held)
            if verdict == "maybe":
                return
            self._start = None
            if verdict == "call":
                self._opener, self._body = "", [held]
                return
            text = held
        self._answer.write(text)

    def on_marker(self, marker: str) -> None:
        if self._opener is not None:
            if marker in self._syntax.closers:
                self._complete()
            else:
                self._body.append(marker)
        elif marker in self._syntax.openers:
            self._release_start()
            self._answer.end()
            self._opener, self._body = marker, []
        elif marker not in self._hidden:
            # A closing or inner marker outside a call is text the model wrote.
            self.write(marker)

    def finish(self) -> None:
        """The end of the reply: a call still open ends here, less the start of a
        closing marker the reply was cut off in."""
        if self._opener is not None:
            body = "".join(self._body)
            for closer in self._syntax.closers:
                for size in range(len(closer) - 1, 0, -1):
                    if body.endswith(closer[:size]):
                        body = body[:-size]
                        break
            self._body = [body]
            self._complete()
        self._release_start()
        self._answer.end()

    def _release_start(self) -> None:
        if self._start is not None:
            held = "".join(self._start)
            self._start = None
            self._answer.write(held)

    def _complete(self) -> None:
        assert self._opener is not None
        calls, answer = decode_calls(self._fmt, self._opener, "".join(self._body))
        self._opener, self._body = None, []
        for call in calls:
            self._pieces.add_call(call)
        self._answer.begin()
        self._answer.write(answer)


def _whole_reply_verdict(text: str) -> Literal["maybe", "call", "answer"]:
    """Whether an answer that begins with this text is a JSON call, may still become
    one, or is an answer: the call starts ``{"name"`` (or ``"function"``, ``"type"``)."""
    rest = text.lstrip()
    if not rest:
        return "maybe"
    if rest[0] != "{":
        return "answer"
    rest = rest[1:].lstrip()
    if not rest:
        return "maybe"
    if rest[0] != '"':
        return "answer"
    key, quote, _ = rest[1:].partition('"')
    if quote:
        return "call" if key in _WHOLE_REPLY_KEYS else "answer"
    return "maybe" if any(name.startswith(key) for name in _WHOLE_REPLY_KEYS) else "answer"
