"""Reads a GGUF file's header: its metadata and tensor list, without the weights.

A hand-written reader rather than the ``gguf`` package's: that one maps the whole file
and decodes every vocabulary string into Python objects, which takes seconds for a
large vocabulary, while skipping them here takes milliseconds. It also turns every way
a file can be broken (not a GGUF, truncated, absurd counts, lists nested without end,
values of the wrong kind) into one clear error, :class:`GGUFError`: reading a header
raises nothing else, and neither do the properties of a header that was read.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
# Arrays longer than this are skipped rather than decoded (vocabularies, merges).
MAX_DECODED_ARRAY = 64
# Sanity limits, so a corrupt count cannot make the reader allocate or loop forever.
MAX_KV_COUNT = 1_000_000
MAX_TENSOR_COUNT = 10_000_000
MAX_STRING_BYTES = 64 * 1024 * 1024
# Lists of lists are legal; this deep they are an attack on the reader's stack.
MAX_ARRAY_DEPTH = 16
# Long string arrays are skipped in blocks of this size.
_SKIP_BLOCK = 1 << 20
_U64 = struct.Struct("<Q")
DEFAULT_ALIGNMENT = 32
# The fewest bytes one metadata entry (key length, type, a one-byte value) and one tensor
# entry (name length, dimension count, type, offset) can take.
_MIN_KV_BYTES = 8 + 4 + 1
_MIN_TENSOR_BYTES = 8 + 4 + 4 + 8

_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1),  # uint8
    1: ("<b", 1),  # int8
    2: ("<H", 2),  # uint16
    3: ("<h", 2),  # int16
    4: ("<I", 4),  # uint32
    5: ("<i", 4),  # int32
    6: ("<f", 4),  # float32
    7: ("<?", 1),  # bool
    10: ("<Q", 8),  # uint64
    11: ("<q", 8),  # int64
    12: ("<d", 8),  # float64
}
_STRING = 8
_ARRAY = 9


class GGUFError(ValueError):
    """The file is not a readable GGUF model; the message says why, for the user."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type_id: int
    offset: int


@dataclass
class GGUFHeader:
    """What a GGUF file says about itself."""

    path: Path
    version: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo] = field(default_factory=list)
    file_size: int = 0
    data_offset: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_value(self, suffix: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.architecture}.{suffix}", default)

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.stem)

    # The numbers below raise GGUFError when the file holds something else under their key.
    @property
    def block_count(self) -> int:
        return self._arch_int("block_count")

    @property
    def context_length(self) -> int:
        return self._arch_int("context_length")

    @property
    def embedding_length(self) -> int:
        return self._arch_int("embedding_length")

    @property
    def head_count(self) -> int:
        return self._arch_int("attention.head_count")

    @property
    def head_count_kv(self) -> int:
        if f"{self.architecture}.attention.head_count_kv" not in self.metadata:
            return self.head_count
        return self._arch_int("attention.head_count_kv")

    @property
    def chat_template(self) -> str | None:
        """The template's source; None when there is none, or it is not text."""
        template = self.metadata.get("tokenizer.chat_template")
        return template if isinstance(template, str) and template else None

    @property
    def weights_bytes(self) -> int:
        """Bytes of tensor data: everything after the header."""
        return max(0, self.file_size - self.data_offset)

    def _arch_int(self, suffix: str) -> int:
        """An architecture number (0 if absent); per-layer lists give their largest."""
        key = f"{self.architecture}.{suffix}"
        value = self.metadata.get(key, 0)
        if isinstance(value, list):
            return max((_as_int(self.path, key, item) for item in value), default=0)
        return _as_int(self.path, key, value)


def _as_int(path: Path, key: str, value: Any) -> int:
    """``value`` as a whole number; a GGUFError naming ``key`` if it is no number at all."""
    if isinstance(value, (int, float)) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return int(value)
    what = (
        "a long list"
        if isinstance(value, _SkippedArray)
        else f"{type(value).__name__} {value!r:.40}"
    )
    raise GGUFError(f"{path.name} has a corrupt header: {key} is {what}, not a number")


class _Reader:
    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = size

    def read(self, count: int) -> bytes:
        data = self._stream.read(count)
        if len(data) != count:
            raise GGUFError("the file ends in the middle of its header: it is truncated")
        return data

    def skip(self, count: int) -> None:
        position = self._stream.tell() + count
        if position > self._size:
            raise GGUFError("the file ends in the middle of its header: it is truncated")
        self._stream.seek(position)

    def unpack(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.read(size))[0]

    def u32(self) -> int:
        return int(self.unpack("<I", 4))

    def u64(self) -> int:
        return int(self.unpack("<Q", 8))

    def string(self) -> str:
        length = self.u64()
        if length > MAX_STRING_BYTES:
            raise GGUFError("the header holds an impossibly long string: the file is corrupt")
        return self.read(length).decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        """Skips ``count`` strings, reading in blocks: a vocabulary holds 100,000 or more,
        and one read per string costs a large part of a model's load time."""
        buffer = b""
        position = 0
        for _ in range(count):
            if position + 8 > len(buffer):
                buffer = buffer[position:] + self._stream.read(_SKIP_BLOCK)
                position = 0
                if len(buffer) < 8:
                    raise GGUFError("the file ends in the middle of its header: it is truncated")
            (length,) = _U64.unpack_from(buffer, position)
            if length > MAX_STRING_BYTES:
                raise GGUFError("the header holds an impossibly long string: the file is corrupt")
            position += 8 + length
            if position > len(buffer):  # the string runs past the block
                self.skip(position - len(buffer))
                buffer, position = b"", 0
        self._stream.seek(position - len(buffer), 1)  # give back what was read ahead

    def tell(self) -> int:
        return self._stream.tell()


def _read_value(reader: _Reader, type_id: int, depth: int = 0) -> Any:
    """One value; ``depth`` counts the lists it sits in (bounded: no stack overflow)."""
    if type_id in _SCALARS:
        fmt, size = _SCALARS[type_id]
        return reader.unpack(fmt, size)
    if type_id == _STRING:
        return reader.string()
    if type_id == _ARRAY:
        if depth >= MAX_ARRAY_DEPTH:
            raise GGUFError(
                f"the header holds lists nested more than {MAX_ARRAY_DEPTH} deep: "
                "the file is corrupt"
            )
        item_type = reader.u32()
        count = reader.u64()
        if count > reader._size:
            raise GGUFError("the header holds an impossibly long list: the file is corrupt")
        if count > MAX_DECODED_ARRAY:
            _skip_array(reader, item_type, count, depth + 1)
            return _SkippedArray(item_type, count)
        return [_read_value(reader, item_type, depth + 1) for _ in range(count)]
    raise GGUFError(f"the header holds a value of unknown type {type_id}: the file is corrupt")


def _skip_array(reader: _Reader, item_type: int, count: int, depth: int) -> None:
    if item_type in _SCALARS:
        reader.skip(_SCALARS[item_type][1] * count)
    elif item_type == _STRING:
        reader.skip_strings(count)
    elif item_type == _ARRAY:
        for _ in range(count):
            _read_value(reader, _ARRAY, depth)
    else:
        raise GGUFError(f"the header holds a list of unknown type {item_type}: the file is corrupt")


@dataclass(frozen=True)
class _SkippedArray:
    """Stands for a long array (a vocabulary) that was skipped; only its length is kept."""

    item_type: int
    length: int

    def __len__(self) -> int:
        return self.length


def read_gguf_header(path: Path | str) -> GGUFHeader:
    """Reads the header of the GGUF at ``path``; raises :class:`GGUFError` if it is broken."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb", buffering=1 << 20) as stream:
            return _parse(stream, path, size)
    except FileNotFoundError:
        raise GGUFError(f"no file at {path}") from None
    except IsADirectoryError:
        raise GGUFError(f"{path} is a folder, not a model file") from None
    except PermissionError:
        raise GGUFError(f"Hearth may not read {path}") from None
    except OSError as err:  # a failing disk, a vanished network share, ...
        raise GGUFError(f"Hearth could not read {path}: {err.strerror or err}") from None


def _parse(stream: BinaryIO, path: Path, size: int) -> GGUFHeader:
    """The header in ``stream`` (the whole file is ``size`` bytes); only ever a GGUFError.

    The reader's own checks name what is wrong; this is the net under them, for any
    value a hostile file could still use to make Python itself fail.
    """
    try:
        return _parse_unchecked(stream, path, size)
    except GGUFError:
        raise
    except MemoryError:
        raise GGUFError(f"{path.name} has a corrupt header: it would not fit in memory") from None
    except (
        RecursionError,
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        struct.error,
    ) as problem:
        raise GGUFError(f"{path.name} has a corrupt header ({problem})") from None


def _parse_unchecked(stream: BinaryIO, path: Path, size: int) -> GGUFHeader:
    reader = _Reader(stream, size)
    magic = stream.read(4)
    if magic != GGUF_MAGIC:
        raise GGUFError(f"{path.name} is not a GGUF model file")
    version = reader.u32()
    if version not in SUPPORTED_VERSIONS:
        raise GGUFError(f"{path.name} is GGUF version {version}, which Hearth cannot read")
    tensor_count = reader.u64()
    kv_count = reader.u64()
    if kv_count > MAX_KV_COUNT or tensor_count > MAX_TENSOR_COUNT:
        raise GGUFError(f"{path.name} has a corrupt header")
    if kv_count * _MIN_KV_BYTES + tensor_count * _MIN_TENSOR_BYTES > size:
        raise GGUFError(
            f"{path.name} is truncated or corrupt: its header counts more entries than the"
            " file holds"
        )
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string()
        metadata[key] = _read_value(reader, reader.u32())
    tensors = []
    for _ in range(tensor_count):
        name = reader.string()
        n_dims = reader.u32()
        if n_dims > 8:
            raise GGUFError(f"{path.name} has a corrupt tensor list")
        shape = tuple(reader.u64() for _ in range(n_dims))
        tensors.append(TensorInfo(name, shape, reader.u32(), reader.u64()))
    alignment = _alignment(path, metadata)
    header_end = reader.tell()
    data_offset = (header_end + alignment - 1) // alignment * alignment
    if tensors:
        _check_tensor_data_present(path, tensors, data_offset, size)
    return GGUFHeader(path, version, metadata, tensors, size, data_offset)


def _alignment(path: Path, metadata: dict[str, Any]) -> int:
    """``general.alignment``: a power of two; absent or 0 means the default.

    (llama.cpp refuses 0 when it loads the file; the reader leaves that verdict to it.)
    """
    value = metadata.get("general.alignment", 0)
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            return DEFAULT_ALIGNMENT
        if value > 0 and value & (value - 1) == 0:
            return value
    raise GGUFError(
        f"{path.name} has a corrupt header: its alignment ({value!r:.40}) is not a power of two"
    )


def _check_tensor_data_present(
    path: Path, tensors: list[TensorInfo], data_offset: int, size: int
) -> None:
    """A truncated download keeps its header; the last tensor's offset gives it away."""
    last_offset = max(tensor.offset for tensor in tensors)
    if data_offset + last_offset >= size:
        missing = data_offset + last_offset - size
        raise GGUFError(
            f"{path.name} is truncated: its weights stop at least {missing + 1:,} bytes short"
            " (an interrupted download or copy?)"
        )
