"""Where a prompt's evaluation is cut into batches.

llama.cpp attends, for each micro-batch (ubatch), over the KV cache's cells up to the
batch's last position rounded up to a multiple of 256. A prompt evaluated after a kept
prefix (the template's opening, the earlier turns) in batches counted from the prefix's
end would end every batch just past such a multiple and attend over up to 255 empty
cells each time: about 5% more work for a 2,000-token prompt on the starter model. So
the first batch ends on the next multiple of the ubatch size, and every later one
starts on one.
"""

from __future__ import annotations

from collections.abc import Iterator


def prompt_chunks(start: int, end: int, n_batch: int, n_ubatch: int) -> Iterator[tuple[int, int]]:
    """(first, past_last) positions of each batch covering ``start`` to ``end``: at most
    ``n_batch`` tokens each, every batch after the first starting on a multiple of
    ``n_ubatch`` (llama.cpp cuts a batch into ubatches from the batch's own start)."""
    n_batch = max(1, n_batch)
    n_ubatch = max(1, min(n_ubatch, n_batch))
    first = start
    while first < end:
        offset = first % n_ubatch
        size = n_ubatch - offset if offset else n_batch - n_batch % n_ubatch
        past = min(end, first + size)
        yield first, past
        first = past
