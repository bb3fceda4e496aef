"""The block chooser against the keyed generator itself: the same item for every key, in any order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from units.keyed_blocks import BLOCK, block_choice_of, block_indices
from units.keyed_random import _MASK, STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE, keyed_rng

words = st.integers(min_value=-(2**70), max_value=2**70)
streams = st.sampled_from([STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE])
#: counts with one, few and many rejections a draw (n just past a power of two rejects almost half)
counts = st.one_of(st.integers(1, 700), st.sampled_from([2**k + 1 for k in range(1, 62)]),
                   st.sampled_from([2**k for k in range(62)]), st.just(2**63 - 1))
#: the twin's keys (in order, from 0), near the block's edges, at the top of the 64-bit range, and others
keys = st.one_of(st.integers(0, 3 * BLOCK), st.integers(_MASK - 2 * BLOCK, _MASK + 2), words)


@settings(max_examples=200, deadline=None)
@given(words, streams, counts, st.lists(keys, min_size=1, max_size=30))
def test_block_choice_is_the_generators_choice(seed: int, stream: int, n: int, asked: list[int]) -> None:
    seq = range(n)
    choose = block_choice_of(seed, stream, seq)
    assert [choose(k) for k in asked] == [keyed_rng(seed, stream, k).choice(seq) for k in asked]


@settings(max_examples=60, deadline=None)
@given(words, streams, counts, st.one_of(st.integers(0, 2**40), st.integers(_MASK + 1 - 64, _MASK + 1 - 64)))
def test_block_indices_are_the_generators_draws(seed: int, stream: int, n: int, first: int) -> None:
    found = block_indices(seed, stream, n, first, 64)
    assert found == [keyed_rng(seed, stream, k).randrange(n) for k in range(first, first + 64)]


def test_a_whole_run_of_keys_in_order_is_the_generators() -> None:
    # the twin's use: keys 0, 1, 2 ... across several blocks, from a tuple of items
    seq = tuple(f"p{i}" for i in range(600))
    choose = block_choice_of(1, STREAM_PROMPT, seq)
    assert [choose(k) for k in range(3 * BLOCK + 5)] == \
        [keyed_rng(1, STREAM_PROMPT, k).choice(seq) for k in range(3 * BLOCK + 5)]


def test_keys_that_are_not_plain_ints_take_the_generators_draw() -> None:
    choose = block_choice_of(1, STREAM_PROMPT, range(10))
    assert choose(True) == keyed_rng(1, STREAM_PROMPT, 1).choice(range(10))
    with pytest.raises(TypeError):
        choose(1.5)   # type: ignore[arg-type]
    empty = block_choice_of(1, STREAM_PROMPT, ())
    with pytest.raises(IndexError):
        empty(3)
