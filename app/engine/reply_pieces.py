"""The pieces a parsed reply is made of, and the outlets that write them.

A reply is a stream of pieces: answer text, thinking text, and tool calls. Neighbouring
text pieces of one kind are joined; every tool call is a piece of its own. An outlet
writes one kind of text a stretch at a time (see ``app.engine.reply_parser`` for the
text rules it applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.engine.tool_calls import ToolCall

PieceKind = Literal["answer", "thinking", "tool_call"]
TextKind = Literal["answer", "thinking"]


@dataclass(frozen=True)
class Piece:
    """Answer or thinking text; or, with kind "tool_call", one call the model made:
    ``call`` holds it and ``text`` is the call as the model wrote it (never shown)."""

    kind: PieceKind
    text: str
    call: ToolCall | None = None


class PieceList:
    """Pieces waiting to be returned, neighbouring text of one kind joined."""

    def __init__(self) -> None:
        self._runs: list[tuple[PieceKind, list[str], ToolCall | None]] = []

    def add(self, kind: TextKind, text: str) -> None:
        if not text:
            return
        if self._runs and self._runs[-1][0] == kind:
            self._runs[-1][1].append(text)
        else:
            self._runs.append((kind, [text], None))

    def add_call(self, call: ToolCall) -> None:
        self._runs.append(("tool_call", [call.raw], call))

    def take(self) -> list[Piece]:
        pieces = [Piece(kind, "".join(parts), call) for kind, parts, call in self._runs]
        self._runs = []
        return pieces


class Outlet:
    """Writes one kind of text, a stretch at a time.

    Each stretch starts at its first visible character; stretches are joined by a blank
    line; with ``trims_end``, trailing whitespace is held back until more text shows it
    is inside the stretch, and dropped when the stretch ends.
    """

    def __init__(self, kind: TextKind, pieces: PieceList, *, trims_end: bool) -> None:
        self._kind = kind
        self._pieces = pieces
        self._trims_end = trims_end
        self._fresh = True  # no visible text yet in this stretch
        self._wrote = False  # visible text in any stretch
        self._held: list[str] = []  # trailing whitespace not yet known to be inside

    @property
    def started(self) -> bool:
        """Whether the current stretch has visible text."""
        return not self._fresh

    @property
    def wrote(self) -> bool:
        """Whether any stretch has had visible text."""
        return self._wrote

    def begin(self) -> None:
        self._fresh = True
        self._held = []

    def end(self) -> None:
        self._held = []

    def write(self, text: str) -> None:
        if self._fresh:
            text = text.lstrip()
            if not text:
                return
            self._fresh = False
            if self._wrote:
                text = "\n\n" + text
        if not self._trims_end:
            self._emit(text)
            return
        body = text.rstrip()
        if not body:
            self._held.append(text)
            return
        held = "".join(self._held)
        self._held = [text[len(body) :]] if len(body) < len(text) else []
        self._emit(held + body)

    def _emit(self, text: str) -> None:
        self._pieces.add(self._kind, text)
        self._wrote = True
