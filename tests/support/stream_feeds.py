"""Every way a streamed reply is fed to a parser in the parser tests.

Each feed turns a reply's raw text into the chunkings to try, one after another: whole,
split in two at every character or at every byte, one character or one byte at a time.
Bytes are turned into text as the engine host does, a token's bytes at a time, so a
multi-byte character cut in two arrives whole once its last byte has come.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator

Feed = Callable[[str], Iterator[Iterable[str]]]


def decoded(byte_chunks: Iterable[bytes]) -> Iterator[str]:
    """Bytes turned into text as the engine host does, a token's bytes at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in byte_chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def whole(raw: str) -> Iterator[Iterable[str]]:
    yield [raw]


def split_in_two_at_every_character(raw: str) -> Iterator[Iterable[str]]:
    for cut in range(1, len(raw)):
        yield [raw[:cut], raw[cut:]]


def one_character_at_a_time(raw: str) -> Iterator[Iterable[str]]:
    yield list(raw)


def split_in_two_at_every_byte(raw: str) -> Iterator[Iterable[str]]:
    data = raw.encode()
    for cut in range(1, len(data)):
        yield decoded([data[:cut], data[cut:]])


def one_byte_at_a_time(raw: str) -> Iterator[Iterable[str]]:
    data = raw.encode()
    yield decoded(data[i : i + 1] for i in range(len(data)))


FEEDS: tuple[Feed, ...] = (
    whole,
    split_in_two_at_every_character,
    one_character_at_a_time,
    split_in_two_at_every_byte,
    one_byte_at_a_time,
)
