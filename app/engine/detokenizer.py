"""Turns sampled tokens into reply text, one token at a time.

Owns the per-token piece cache of a loaded model: each token's bytes are asked of
llama.cpp once (``llama_token_to_piece``) and kept, together with whether the token
ends a generation, so the token loop does one dictionary look-up per token. Control
tokens give text only where they carry a reply's structure (thinking, harmony
channels), end it (a family's end marker, for the stop filter) or, with tools offered,
mark a call. Bytes become text through an incremental UTF-8 decoder, so a character
split across two tokens comes out whole once its last byte arrives.
"""

from __future__ import annotations

import codecs
import ctypes
from collections.abc import Collection
from typing import Any

_CONTROL_ATTR = 1 << 3  # LLAMA_TOKEN_ATTR_CONTROL


class PieceCache:
    """Each token's bytes as the reply shows them, and whether it ends a generation."""

    def __init__(
        self,
        vocab: Any,
        shown_control: Collection[str],
        call_tokens: Collection[str] = (),
    ) -> None:
        import llama_cpp

        self._llama = llama_cpp
        self._vocab = vocab
        self._shown_control = frozenset(shown_control)
        self._call_tokens = frozenset(call_tokens)
        self._buffer = ctypes.create_string_buffer(256)
        # token -> (bytes shown, ends generation); one per pass_call_tokens setting.
        self._entries: dict[int, tuple[bytes, bool]] = {}
        self._with_calls: dict[int, tuple[bytes, bool]] = {}

    def entries(self, pass_call_tokens: bool) -> dict[int, tuple[bytes, bool]]:
        """The cache the loop reads for a request (tools offered or not)."""
        return self._with_calls if pass_call_tokens else self._entries

    def entry(self, token: int, pass_call_tokens: bool) -> tuple[bytes, bool]:
        """The token's (bytes, ends generation), asked of llama.cpp on first use."""
        cache = self.entries(pass_call_tokens)
        found = cache.get(token)
        if found is None:
            found = cache[token] = self._lookup(token, pass_call_tokens)
        return found

    def raw_piece(self, token: int, special: bool) -> bytes:
        """The token's text as llama.cpp writes it (special: control tokens too)."""
        llama = self._llama
        size = llama.llama_token_to_piece(
            self._vocab, token, self._buffer, len(self._buffer), 0, special
        )
        if size < 0:  # longer than the buffer: grow it once for this and later tokens
            self._buffer = ctypes.create_string_buffer(-size + 16)
            size = llama.llama_token_to_piece(
                self._vocab, token, self._buffer, len(self._buffer), 0, special
            )
        return self._buffer.raw[: max(size, 0)]

    def _lookup(self, token: int, pass_call_tokens: bool) -> tuple[bytes, bool]:
        llama = self._llama
        ends = bool(llama.llama_vocab_is_eog(self._vocab, token))
        if llama.llama_vocab_get_attr(self._vocab, token) & _CONTROL_ATTR:
            text = self.raw_piece(token, True)
            shown = text.decode("utf-8", errors="replace")
            if shown in self._shown_control or (pass_call_tokens and shown in self._call_tokens):
                return text, ends
            return b"", ends
        return self.raw_piece(token, False), ends


class TextDecoder:
    """Bytes to text across token boundaries; an invalid byte becomes U+FFFD."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.decode = self._decoder.decode

    def finish(self) -> str:
        """What is left of a character cut off at the end of the reply."""
        return self._decoder.decode(b"", final=True)
