"""Reading a GGUF header from the Hub without downloading the model.

The header (architecture, layer count, heads, vocabulary) sits at the start of the file.
One HTTP Range request fetches the first few megabytes of a repository's smallest model
file; they are parsed as if they were the whole file, whose length the listing gives,
so the reader's "is the file complete" check passes. A header larger than what was
fetched (a huge vocabulary) ends in None, and the caller falls back to a guess.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from app.hub import http
from app.hub.download import FileSource
from app.hub.files import ModelFileGroup
from app.library.fit import ModelShape
from app.library.gguf_header import GGUFError, GGUFHeader, _parse

log = logging.getLogger(__name__)

HEADER_BYTES = 8 * 1024 * 1024


def fetch_header(
    source: FileSource,
    *,
    token: str | None = None,
    max_bytes: int = HEADER_BYTES,
    timeout_s: float = 15.0,
) -> GGUFHeader | None:
    """The header of ``source``'s file from its first ``max_bytes``; None if that fails."""
    headers = http.hub_headers(token)
    headers["Accept-Encoding"] = "identity"
    headers["Range"] = f"bytes=0-{max_bytes - 1}"
    data = bytearray()
    try:
        with http.session().stream(
            "GET", source.url, headers=headers, timeout=http.timeout(timeout_s, 5.0)
        ) as response:
            if response.status_code not in (200, 206):
                log.info("header of %s: HTTP %s", source.remote.path, response.status_code)
                return None
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) >= max_bytes:  # a server that ignores Range: stop here
                    break
    except http.NETWORK_ERRORS as err:
        log.info("header of %s: %s", source.remote.path, err)
        return None
    try:
        return _parse(
            io.BytesIO(bytes(data[:max_bytes])), Path(source.remote.name), source.remote.size
        )
    except GGUFError as err:
        log.info("header of %s unreadable from %d bytes: %s", source.remote.path, len(data), err)
        return None


def shape_from_remote_header(header: GGUFHeader, group: ModelFileGroup) -> ModelShape:
    """The architecture from ``header``, weighing as much as ``group``'s files."""
    weights = max(group.total_size - header.data_offset, 1)
    vocab = int(header.arch_value("vocab_size", 0) or 0) or len(
        header.get("tokenizer.ggml.tokens") or ()
    )
    # A split model's output head may sit in a later part: only a whole file tells.
    has_head = any(tensor.name == "output.weight" for tensor in header.tensors)
    tied = not group.is_split and bool(header.tensors) and not has_head
    return ModelShape(
        n_layers=header.block_count,
        n_embd=header.embedding_length,
        n_head=header.head_count,
        n_head_kv=header.head_count_kv,
        n_vocab=vocab,
        weights_bytes=weights,
        context_length_trained=header.context_length,
        head_dim_k=int(header.arch_value("attention.key_length", 0) or 0),
        head_dim_v=int(header.arch_value("attention.value_length", 0) or 0),
        name=header.name,
        output_tied=tied,
    )
