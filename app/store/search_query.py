"""Turning what the user typed into a safe FTS5 query.

FTS5 has its own query language (``AND``, ``OR``, ``NOT``, ``NEAR``, quotes, brackets,
column filters, ``*``, ``^``). Typed text is never passed through as syntax: each word
becomes a quoted phrase, so ``"foo``, ``AND OR (`` or ``title:x`` are just words to look
for. Words are ANDed; the last word also matches as a prefix while the user is still
typing it (``hel`` finds "hello").
"""

from __future__ import annotations


def _has_token_chars(word: str) -> bool:
    # FTS5's unicode61 tokenizer indexes letters and digits only; a word made of
    # punctuation alone would be an empty phrase, which means nothing to search for.
    return any(ch.isalnum() for ch in word)


def _quote(word: str) -> str:
    # Inside an FTS5 string a double quote is written twice; nothing else is special.
    return '"' + word.replace('"', '""') + '"'


def build_match_query(text: str) -> str | None:
    """The FTS5 ``MATCH`` expression for ``text``, or ``None`` when there is nothing to find."""
    raw_words = text.split()
    phrases = [_quote(word) for word in raw_words if _has_token_chars(word)]
    if not phrases:
        return None
    # The last word is still being typed unless a space (or punctuation) follows it.
    if not text[-1].isspace() and _has_token_chars(raw_words[-1]):
        phrases[-1] += "*"
    return " ".join(phrases)
