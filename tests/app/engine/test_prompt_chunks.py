"""A prompt evaluated after a kept prefix is cut so that its batches end on multiples of
the ubatch size: llama.cpp pads what a ubatch attends to up to a multiple of 256 cells,
and batches counted from the prefix's end made the starter model's 2,000-token first
token about 5% slower than a bare decode."""

from __future__ import annotations

import itertools

import pytest

from app.engine.prompt_chunks import prompt_chunks


def test_a_prompt_after_a_prefix_ends_its_first_batch_on_the_ubatch_boundary():
    assert list(prompt_chunks(24, 2014, 512, 512)) == [
        (24, 512),
        (512, 1024),
        (1024, 1536),
        (1536, 2014),
    ]


def test_a_prompt_from_the_start_is_cut_as_before():
    assert list(prompt_chunks(0, 1100, 512, 512)) == [(0, 512), (512, 1024), (1024, 1100)]


def test_large_batches_hold_whole_ubatches():
    assert list(prompt_chunks(24, 5000, 2048, 512)) == [
        (24, 512),
        (512, 2560),
        (2560, 4608),
        (4608, 5000),
    ]


@pytest.mark.parametrize("n_batch, n_ubatch", [(512, 512), (2048, 512), (600, 512), (64, 512)])
@pytest.mark.parametrize("start, end", [(0, 1), (0, 3000), (5, 6), (24, 2014), (511, 513)])
def test_every_position_is_evaluated_once_in_batches_that_fit(
    start: int, end: int, n_batch: int, n_ubatch: int
):
    chunks = list(prompt_chunks(start, end, n_batch, n_ubatch))
    assert chunks[0][0] == start and chunks[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    assert all(0 < last - first <= n_batch for first, last in chunks)
    step = min(n_batch, n_ubatch)
    assert all(first % step == 0 for first, _last in chunks[1:])


def test_an_empty_span_has_no_batches():
    assert list(prompt_chunks(10, 10, 512, 512)) == []
