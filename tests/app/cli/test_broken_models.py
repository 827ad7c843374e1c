"""``hearth chat --model <broken file>``: one clear line and exit status 1, never a traceback.

Each case is a file broken one way (or no file at all), and ``hearth chat`` runs as a real
program, as a user would run it: stdin from /dev/null, a private HEARTH_HOME. What stderr
may hold: with the model's header read fine and the engine asked to load it, a
``Loading <name>...`` line first; then exactly one ``hearth: ...`` line saying what is wrong.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.library.gguf_header import read_gguf_header
from tests.support.tiny_gguf import write_tiny_llama

HEARTH = Path(sys.executable).parent / "hearth"
# Root, without the capabilities that let it read any file whatever its permissions.
DROP_ROOT_RIGHTS = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
    "--",
]

# GGUF value types (the spec's numbering).
UINT32, INT32, STRING, ARRAY, UINT64 = 4, 5, 8, 9, 10


# --- raw GGUF bytes -------------------------------------------------------------------


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def _kv(key: str, type_id: int, payload: bytes) -> bytes:
    return _string(key) + struct.pack("<I", type_id) + payload


def _kv_str(key: str, value: str) -> bytes:
    return _kv(key, STRING, _string(value))


def _kv_u32(key: str, value: int) -> bytes:
    return _kv(key, UINT32, struct.pack("<I", value))


def _gguf(
    *kvs: bytes,
    tensors: tuple[bytes, ...] = (),
    version: int = 3,
    n_tensors: int | None = None,
    n_kv: int | None = None,
    tail: bytes = b"",
) -> bytes:
    """A GGUF header from raw pieces; the counts may lie."""
    counts = struct.pack(
        "<QQ",
        len(tensors) if n_tensors is None else n_tensors,
        len(kvs) if n_kv is None else n_kv,
    )
    return b"GGUF" + struct.pack("<I", version) + counts + b"".join(kvs + tensors) + tail


def _tensor_info(name: str, shape: tuple[int, ...], type_id: int = 0, offset: int = 0) -> bytes:
    dims = b"".join(struct.pack("<Q", d) for d in shape)
    return (
        _string(name) + struct.pack("<I", len(shape)) + dims + struct.pack("<IQ", type_id, offset)
    )


LLAMA = _kv_str("general.architecture", "llama")


def _with_a_tensor(*kvs: bytes) -> bytes:
    """A header with one small tensor and its data: weights are there, the rest may lie."""
    return _gguf(*kvs, tensors=(_tensor_info("token_embd.weight", (16,)),), tail=b"\0" * 128)


# --- the broken files -----------------------------------------------------------------

Maker = Callable[[Path], Path]


def _bytes(name: str, data: bytes) -> Maker:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _tiny_cut(name: str, where: Callable[[Path], int]) -> Maker:
    """The tiny Llama model, cut short at ``where(whole_file)`` bytes."""

    def make(folder: Path) -> Path:
        whole = write_tiny_llama(folder / f"whole-{name}")
        data = whole.read_bytes()[: where(whole)]
        whole.unlink()
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _tensor_infos_start(path: Path) -> int:
    # Tensor names appear first in the tensor-info list, after all of the metadata.
    return path.read_bytes().index(b"token_embd.weight")


def _data_offset(path: Path) -> int:
    return read_gguf_header(path).data_offset


def _tiny_with_template(name: str, template: str) -> Maker:
    def make(folder: Path) -> Path:
        return write_tiny_llama(folder / name, chat_template=template)

    return make


def _folder(folder: Path) -> Path:
    path = folder / "a-folder.gguf"
    path.mkdir()
    return path


def _missing(folder: Path) -> Path:
    return folder / "gone.gguf"


def _unreadable(folder: Path) -> Path:
    path = write_tiny_llama(folder / "locked.gguf")
    path.chmod(0)
    return path


def _garbage_after_magic(folder: Path) -> Path:
    noise = random.Random(7).randbytes(4096)
    return _bytes("noise.gguf", b"GGUF" + struct.pack("<I", 3) + noise)(folder)


HOSTILE_TEMPLATE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"

# name -> (how to make it, words the error line must hold, lowercase)
CASES: dict[str, tuple[Maker, str]] = {
    "a text file": (_bytes("notes.gguf", b"Shopping list: eggs, milk\n" * 40), "not a gguf"),
    "an empty file": (_bytes("empty.gguf", b""), "not a gguf"),
    "only the magic": (_bytes("magic.gguf", b"GGUF"), "truncated"),
    "half a version": (_bytes("half.gguf", b"GGUF\x03\x00"), "truncated"),
    "version 1": (_bytes("v1.gguf", _gguf(LLAMA, version=1)), "version 1"),
    "a future version": (_bytes("v9.gguf", _gguf(LLAMA, version=9)), "version 9"),
    "version 0xffffffff": (_bytes("vmax.gguf", _gguf(version=0xFFFFFFFF)), "version"),
    "no counts": (_bytes("nocounts.gguf", b"GGUF" + struct.pack("<I", 3)), "truncated"),
    "an absurd metadata count": (_bytes("kv.gguf", _gguf(LLAMA, n_kv=1 << 62)), "corrupt"),
    "an absurd tensor count": (_bytes("tensors.gguf", _gguf(LLAMA, n_tensors=1 << 62)), "corrupt"),
    "an absurd string length": (
        _bytes("string.gguf", _gguf(struct.pack("<Q", 1 << 60) + b"key")),
        "corrupt",
    ),
    "an absurd list length": (
        _bytes("list.gguf", _gguf(_kv("a.list", ARRAY, struct.pack("<IQ", UINT32, 1 << 60)))),
        "corrupt",
    ),
    "an unknown value type": (_bytes("type.gguf", _gguf(_kv("a.b", 99, b"\0" * 8))), "corrupt"),
    "a list of an unknown type": (
        _bytes(
            "listtype.gguf",
            _gguf(_kv("a.list", ARRAY, struct.pack("<IQ", 77, 100)), tail=bytes(512)),
        ),
        "corrupt",
    ),
    "a tensor of 20 dimensions": (
        _bytes("dims.gguf", _gguf(LLAMA, tensors=(_tensor_info("t", (1,) * 20),))),
        "corrupt",
    ),
    "an alignment of zero": (
        _bytes("align0.gguf", _with_a_tensor(LLAMA, _kv_u32("general.alignment", 0))),
        "could not read this model",
    ),
    "an alignment that is text": (
        _bytes("aligntext.gguf", _with_a_tensor(LLAMA, _kv_str("general.alignment", "wide"))),
        "corrupt header",
    ),
    "a context length that is text": (
        _bytes("ctx.gguf", _with_a_tensor(LLAMA, _kv_str("llama.context_length", "long"))),
        "corrupt header",
    ),
    "an absurd layer count": (
        _bytes(
            "layers.gguf",
            _with_a_tensor(LLAMA, _kv("llama.block_count", UINT64, struct.pack("<Q", 1 << 50))),
        ),
        "claims 1,125,899,906,842,624 layers",
    ),
    "noise after the magic": (_garbage_after_magic, "corrupt"),
    "cut inside the metadata": (_tiny_cut("cut-meta.gguf", lambda _p: 300), "truncated"),
    "cut inside the tensor list": (
        _tiny_cut("cut-infos.gguf", lambda p: _tensor_infos_start(p) + 9),
        "truncated",
    ),
    "a header with no weights": (_tiny_cut("no-weights.gguf", _data_offset), "truncated"),
    "the last tensor cut short": (
        _tiny_cut("cut-last.gguf", lambda p: p.stat().st_size - 100),
        "could not read this model",
    ),
    "an unknown architecture": (
        _bytes("arch.gguf", _with_a_tensor(_kv_str("general.architecture", "no-such-arch"))),
        "could not read this model",
    ),
    "a Llama header and nothing else": (
        _bytes("bare.gguf", _gguf(LLAMA, _kv_u32("llama.block_count", 2))),
        "holds no weights",
    ),
    "a chat template that reaches for Python internals": (
        _tiny_with_template("hostile.gguf", HOSTILE_TEMPLATE),
        "refused",
    ),
    "a folder": (_folder, "a-folder.gguf is a folder"),
    "a missing file": (_missing, "gone.gguf"),
    "a file Hearth may not read": (_unreadable, "may not read"),
}


# --- running hearth -------------------------------------------------------------------


def _run_hearth(
    home: Path, *args: str, drop_root_rights: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
    env["HEARTH_HOME"] = str(home)
    with open(os.devnull) as nothing:
        return subprocess.run(
            [*(DROP_ROOT_RIGHTS if drop_root_rights else []), str(HEARTH), *args],
            stdin=nothing,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )


def _error_line(stderr: str) -> str:
    """The one line that says what is wrong; anything else on stderr fails the test."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if lines and lines[0].startswith("Loading "):
        lines = lines[1:]
    assert len(lines) == 1, f"expected one error line, got: {stderr!r}"
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_model_gives_one_clear_line_and_status_1(case: str, tmp_path: Path):
    make, expected = CASES[case]
    models = tmp_path / "files"
    models.mkdir()
    home = tmp_path / "home"
    path = make(models)
    # Permissions do not stop root, unless it gives up its right to override them.
    as_root = case == "a file Hearth may not read" and os.geteuid() == 0

    result = _run_hearth(home, "chat", "--model", str(path), "hi", drop_root_rights=as_root)

    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    line = _error_line(result.stderr)
    assert line.startswith("hearth: ")
    assert expected in line.lower(), line


def test_quiet_prints_only_the_error_line(tmp_path: Path):
    make, _ = CASES["the last tensor cut short"]
    files = tmp_path / "files"
    files.mkdir()
    result = _run_hearth(tmp_path / "home", "chat", "-q", "--model", str(make(files)), "hi")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("hearth: "), result.stderr


def test_the_cut_files_are_cut_where_their_names_say(tmp_path: Path):
    whole = write_tiny_llama(tmp_path / "whole.gguf")
    data_offset = _data_offset(whole)
    for case in ("cut inside the metadata", "cut inside the tensor list"):
        cut = CASES[case][0](tmp_path)
        assert 24 < cut.stat().st_size < data_offset
    assert CASES["cut inside the metadata"][0](tmp_path).stat().st_size < _tensor_infos_start(whole)
    assert CASES["a header with no weights"][0](tmp_path).stat().st_size == data_offset
    assert data_offset < CASES["the last tensor cut short"][0](tmp_path).stat().st_size
