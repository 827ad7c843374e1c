"""What the check at load found (``app.engine.exact_drafts``), kept for the session.

The check costs about ten single-token decodes: 0.2 s for the starter, 3.7 s for a
7B-shaped Q4_0 model on the 2-core CPU here. Its answer depends only on the file and
on how it is loaded (GPU layers, flash attention, KV cache type) with this build, so a
model loaded again the same way, as when switching back and forth, is not asked again.
"""

from __future__ import annotations

import os
from dataclasses import replace

from app.engine.protocol import LoadRequest, ModelInfo

Key = tuple[str, int, int, int, bool, str]


class ExactBatchesMemo:
    def __init__(self) -> None:
        self._known: dict[Key, bool] = {}

    def recall(self, request: LoadRequest) -> LoadRequest:
        """``request`` with the answer filled in when this load was checked before."""
        key = _key(request)
        known = self._known.get(key) if key else None
        return request if known is None else replace(request, exact_batches=known)

    def remember(self, request: LoadRequest, info: ModelInfo) -> None:
        key = _key(request)
        if key and info.exact_batches is not None:
            self._known[key] = info.exact_batches


def _key(request: LoadRequest) -> Key | None:
    """The file as it is now (a file replaced under the same name is asked again) and
    what decides its kernels; None when the file cannot be read (the load says why)."""
    if request.remote is not None or request.speculative == "off":
        return None
    try:
        stat = os.stat(request.model_path)
    except OSError:
        return None
    return (
        os.path.realpath(request.model_path),
        stat.st_size,
        stat.st_mtime_ns,
        request.n_gpu_layers,
        request.flash_attn,
        request.kv_type,
    )
