"""Hostile GGUF headers, written byte by byte: the reader says "corrupt" (a GGUFError)
and never fails any other way, whether on reading the header or on asking it a question.
"""

from __future__ import annotations

import io
import math
import random
import struct
from pathlib import Path

import pytest

from app.library.gguf_header import GGUFError, GGUFHeader, _parse, read_gguf_header
from tests.support.tiny_gguf import write_tiny_llama

# GGUF value types (the spec's numbering).
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL = 0, 1, 2, 3, 4, 5, 6, 7
STRING, ARRAY, UINT64, INT64, FLOAT64 = 8, 9, 10, 11, 12


def string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def kv(key: str | bytes, type_id: int, payload: bytes) -> bytes:
    return string(key) + struct.pack("<I", type_id) + payload


def kv_str(key: str, value: str | bytes) -> bytes:
    return kv(key, STRING, string(value))


def kv_u32(key: str, value: int) -> bytes:
    return kv(key, UINT32, struct.pack("<I", value))


def array(item_type: int, count: int, items: bytes = b"") -> bytes:
    return struct.pack("<IQ", item_type, count) + items


def nested_arrays(depth: int) -> bytes:
    """``depth`` arrays, each holding one array, around an empty list of uint32."""
    return array(ARRAY, 1) * depth + array(UINT32, 0)


def tensor_info(name: str, shape: tuple[int, ...], offset: int = 0) -> bytes:
    dims = b"".join(struct.pack("<Q", d) for d in shape)
    return string(name) + struct.pack("<I", len(shape)) + dims + struct.pack("<IQ", 0, offset)


def gguf(*kvs: bytes, with_tensor: bool = True) -> bytes:
    """A version 3 GGUF: the metadata given, then (by default) one small tensor and its data."""
    tensors = (tensor_info("token_embd.weight", (16,)),) if with_tensor else ()
    counts = struct.pack("<QQ", len(tensors), len(kvs))
    tail = b"\0" * 128 if with_tensor else b""
    return b"GGUF" + struct.pack("<I", 3) + counts + b"".join(kvs + tensors) + tail


LLAMA = kv_str("general.architecture", "llama")


def write(tmp_path: Path, data: bytes, name: str = "hostile.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def ask_everything(header: GGUFHeader) -> None:
    """Every question the rest of Hearth asks a header."""
    for question in (
        "architecture",
        "name",
        "block_count",
        "context_length",
        "embedding_length",
        "head_count",
        "head_count_kv",
        "chat_template",
        "weights_bytes",
    ):
        getattr(header, question)


# name -> the header's bytes; each must be refused with a GGUFError when read.
REFUSED_ON_READING = {
    "arrays nested ten thousand deep": gguf(LLAMA, kv("a.deep", ARRAY, nested_arrays(10_000))),
    "deep arrays inside a long (skipped) array": gguf(
        LLAMA,
        kv("a.deep", ARRAY, array(ARRAY, 65) + nested_arrays(10_000) + array(UINT32, 0) * 64),
    ),
    "an alignment that is text": gguf(LLAMA, kv_str("general.alignment", "wide")),
    "an alignment that is infinite": gguf(
        LLAMA, kv("general.alignment", FLOAT64, struct.pack("<d", math.inf))
    ),
    "an alignment that is not a number": gguf(
        LLAMA, kv("general.alignment", FLOAT32, struct.pack("<f", math.nan))
    ),
    "an alignment that is negative": gguf(
        LLAMA, kv("general.alignment", INT32, struct.pack("<i", -32))
    ),
    "an alignment that is not a power of two": gguf(LLAMA, kv_u32("general.alignment", 24)),
    "an alignment that is a list": gguf(
        LLAMA, kv("general.alignment", ARRAY, array(UINT32, 1, struct.pack("<I", 32)))
    ),
    "an alignment that is a long list": gguf(
        LLAMA, kv("general.alignment", ARRAY, array(UINT8, 100, bytes(100)))
    ),
    "a key of absurd length": gguf(struct.pack("<Q", (1 << 64) - 1) + b"key"),
    "a list of absurd length": gguf(kv("a.list", ARRAY, array(UINT32, (1 << 64) - 1))),
    "a list of lists of absurd length": gguf(
        kv("a.list", ARRAY, array(ARRAY, 1) + array(UINT64, 1 << 40))
    ),
    "a string list of absurd length": gguf(kv("a.list", ARRAY, array(STRING, 1 << 40))),
    "more metadata than the file could hold": gguf(LLAMA)[:16] + struct.pack("<Q", 900_000) + LLAMA,
    "more tensors than the file could hold": gguf(LLAMA)[:8]
    + struct.pack("<Q", 9_000_000)
    + gguf(LLAMA)[16:],
}


@pytest.mark.parametrize("case", list(REFUSED_ON_READING))
def test_a_hostile_header_is_refused_with_a_gguf_error(case: str, tmp_path: Path) -> None:
    path = write(tmp_path, REFUSED_ON_READING[case])
    with pytest.raises(GGUFError) as caught:
        read_gguf_header(path)
    assert type(caught.value) is GGUFError
    assert "corrupt" in str(caught.value) or "truncated" in str(caught.value)


@pytest.mark.parametrize("case", list(REFUSED_ON_READING))
def test_a_hostile_header_fetched_from_the_hub_is_refused_the_same_way(case: str) -> None:
    data = REFUSED_ON_READING[case]
    with pytest.raises(GGUFError):
        _parse(io.BytesIO(data), Path("remote.gguf"), len(data))


# name -> (the header's bytes, the question that must end in a GGUFError)
REFUSED_ON_ASKING = {
    "a layer count that is text": (gguf(LLAMA, kv_str("llama.block_count", "many")), "block_count"),
    "a context length that is infinite": (
        gguf(LLAMA, kv("llama.context_length", FLOAT32, struct.pack("<f", math.inf))),
        "context_length",
    ),
    "a width that is not a number": (
        gguf(LLAMA, kv("llama.embedding_length", FLOAT64, struct.pack("<d", math.nan))),
        "embedding_length",
    ),
    "head counts that are text": (
        gguf(LLAMA, kv("llama.attention.head_count", ARRAY, array(STRING, 2, string("a") * 2))),
        "head_count",
    ),
    "head counts of mixed kinds": (
        gguf(
            LLAMA,
            kv(
                "llama.attention.head_count",
                ARRAY,
                array(ARRAY, 2, array(UINT32, 0) + array(UINT32, 1, struct.pack("<I", 8))),
            ),
        ),
        "head_count",
    ),
    "a long list of head counts": (
        gguf(LLAMA, kv("llama.attention.head_count_kv", ARRAY, array(UINT32, 100, bytes(400)))),
        "head_count_kv",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_ON_ASKING))
def test_a_hostile_value_is_a_gguf_error_when_asked_for(case: str, tmp_path: Path) -> None:
    data, question = REFUSED_ON_ASKING[case]
    header = read_gguf_header(write(tmp_path, data))
    with pytest.raises(GGUFError) as caught:
        getattr(header, question)
    assert type(caught.value) is GGUFError
    assert "corrupt header" in str(caught.value)
    assert "hostile.gguf" in str(caught.value)


def test_text_that_is_not_utf8_is_read_with_replacement_characters(tmp_path: Path) -> None:
    # llama.cpp does not check that metadata is UTF-8, so neither does Hearth: bad bytes
    # in a key or a value become U+FFFD rather than refusing a file llama.cpp loads.
    header = read_gguf_header(
        write(
            tmp_path,
            gguf(LLAMA, kv_str("general.name", b"Bad \xff\xfe name"), kv_u32(b"x.\xc3", 1)),
        )
    )
    assert header.name == "Bad \ufffd\ufffd name"
    assert header.get("x.\ufffd") == 1
    ask_everything(header)


def test_a_chat_template_that_is_not_text_counts_as_none(tmp_path: Path) -> None:
    template = kv("tokenizer.chat_template", ARRAY, array(UINT32, 1, struct.pack("<I", 7)))
    header = read_gguf_header(write(tmp_path, gguf(LLAMA, template)))
    assert header.chat_template is None


def test_shallow_nested_lists_still_read(tmp_path: Path) -> None:
    header = read_gguf_header(write(tmp_path, gguf(LLAMA, kv("a.nest", ARRAY, nested_arrays(3)))))
    assert header.get("a.nest") == [[[[]]]]


def test_an_alignment_of_zero_means_the_default(tmp_path: Path) -> None:
    # Left for llama.cpp to judge, as before (see tests/app/cli/test_broken_models.py).
    header = read_gguf_header(write(tmp_path, gguf(LLAMA, kv_u32("general.alignment", 0))))
    assert header.data_offset % 32 == 0


def test_random_damage_to_a_real_header_only_ever_gives_gguf_errors(tmp_path: Path) -> None:
    """Flip, overwrite and cut bytes of a real model's header, many times, with a fixed seed."""
    whole = write_tiny_llama(tmp_path / "whole.gguf").read_bytes()
    end = read_gguf_header(tmp_path / "whole.gguf").data_offset
    rng = random.Random(11)
    outcomes = {"read": 0, "refused": 0}
    for attempt in range(400):
        data = bytearray(whole)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(4, end)
            how = rng.random()
            if how < 0.4:
                data[at] ^= 1 << rng.randrange(8)
            elif how < 0.8 and at + 8 <= end:
                data[at : at + 8] = struct.pack("<Q", rng.choice([0, 1, 9, 65, 1 << 31, 1 << 63]))
            else:
                data[at:at] = struct.pack("<IQ", ARRAY, 1) * rng.randint(1, 2000)
        if rng.random() < 0.2:
            del data[rng.randrange(4, len(data)) :]
        path = write(tmp_path, bytes(data), f"damaged-{attempt}.gguf")
        try:
            header = read_gguf_header(path)
            ask_everything(header)
            outcomes["read"] += 1
        except GGUFError:
            outcomes["refused"] += 1
        path.unlink()
    assert outcomes["refused"] > 0
