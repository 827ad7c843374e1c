"""A load reads the model's header twice (the app's preflight, the engine host), so long
vocabularies are skipped in blocks: the values after them still read right, strings
that cross a block are skipped whole, and a file cut inside the vocabulary is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from app.library.gguf_header import GGUFError, read_gguf_header


def _write(path: Path, tokens: list[str]) -> Path:
    writer = GGUFWriter(str(path), "llama")
    writer.add_token_list(tokens)
    writer.add_context_length(32_768)  # written after the vocabulary
    writer.add_chat_template("{{ messages[0].content }}")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_values_after_a_long_vocabulary_read_right(tmp_path: Path) -> None:
    # 200,000 short tokens and a few of 700 KB, so strings cross the 1 MiB blocks.
    tokens = [f"t{i}" for i in range(200_000)]
    for at in (10, 50_000, 150_000):
        tokens[at] = "x" * 700_000 + str(at)
    header = read_gguf_header(_write(tmp_path / "long.gguf", tokens))
    assert header.context_length == 32_768
    assert header.chat_template == "{{ messages[0].content }}"
    assert len(header.get("tokenizer.ggml.tokens")) == 200_000
    assert [tensor.name for tensor in header.tensors] == ["token_embd.weight"]


def test_a_file_cut_inside_the_vocabulary_is_refused(tmp_path: Path) -> None:
    whole = _write(tmp_path / "whole.gguf", [f"token{i}" for i in range(100_000)]).read_bytes()
    for cut in (300_000, 1_200_000):
        cut_file = tmp_path / f"cut-{cut}.gguf"
        cut_file.write_bytes(whole[:cut])
        with pytest.raises(GGUFError, match="truncated"):
            read_gguf_header(cut_file)
