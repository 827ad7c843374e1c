"""Writes small GGUF files whose header says "embedding model", for the listing tests.

Not loadable: what is under test is how Hearth tells an embedding model from a chat
model by the file's own header (an encoder architecture and a pooling type), not
llama.cpp's embeddings.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np


def write_embedding_gguf(
    path: Path, *, arch: str = "nomic-bert", name: str = "Tiny Embed", payload_bytes: int = 4096
) -> Path:
    """A GGUF of an encoder architecture with a mean pooling type, as converters write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, arch=arch)
    writer.add_name(name)
    writer.add_block_count(1)
    writer.add_context_length(512)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(2)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    rng = np.random.default_rng(7)
    writer.add_tensor(
        "token_embd.weight", rng.standard_normal(payload_bytes // 4, dtype=np.float32)
    )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
