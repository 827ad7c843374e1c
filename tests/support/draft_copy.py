"""A draft model for the starter: a lower-precision copy of it, made with llama.cpp's quantizer.

No smaller model of the starter's vocabulary ships with Hearth, so speculative decoding's
draft-model tests and bench pair the starter (Q4_1) with a Q4_0 copy of itself: the same
vocabulary, weights that round differently, so the copy's guesses are now and then wrong.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from pathlib import Path

LLAMA_FTYPE_MOSTLY_Q4_0 = 2


def lower_precision_copy(source: Path, folder: Path) -> Path:
    """A Q4_0 copy of ``source`` in ``folder`` (made once; a second call reuses it)."""
    import llama_cpp

    target = folder / f"{source.stem}.Q4_0.gguf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = LLAMA_FTYPE_MOSTLY_Q4_0
    params.allow_requantize = True
    params.nthread = 1
    partial = target.with_suffix(".part")
    with _native_stderr_silenced():
        code = llama_cpp.llama_model_quantize(
            str(source).encode(), str(partial).encode(), ctypes.byref(params)
        )
    if code != 0:
        raise RuntimeError(f"llama_model_quantize returned {code}")
    partial.replace(target)
    return target


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """The quantizer prints a line per tensor on the C stderr."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
