"""Draws side by side in big-int lanes: ``keyed_below_run`` is ``keyed_below`` key by key, bit for bit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from units.keyed_lanes import keyed_below_run
from units.keyed_random import STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE, keyed_below

words = st.integers(min_value=-(2**70), max_value=2**70)
# small bounds, bounds just above a power of two (half the tries rejected), up to the last word
bounds = st.one_of(st.integers(1, 70), st.integers(1, 40).map(lambda b: 2**b + 1),
                   st.integers(1, 2**64 - 1), st.integers(-3, 0), st.just(2**64 + 3))
first_keys = st.one_of(st.integers(0, 10_000), st.integers(0, 2**64 - 1), st.integers(-50, -1),
                       st.integers(2**64 - 80, 2**64 + 5))


def _each(seed: int, stream: int, first: int, count: int, n: int) -> list[int] | str:
    try:
        return [keyed_below(seed, stream, k, n) for k in range(first, first + count)]
    except ValueError as exc:
        return str(exc)


def _run(seed: int, stream: int, first: int, count: int, n: int) -> list[int] | str:
    try:
        return keyed_below_run(seed, stream, first, count, n)
    except ValueError as exc:
        return str(exc)


@settings(max_examples=300, deadline=None)
@given(words, st.sampled_from([STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE]), first_keys, st.integers(1, 70), bounds)
def test_a_run_is_each_key_drawn_alone(seed: int, stream: int, first: int, count: int, n: int) -> None:
    assert _run(seed, stream, first, count, n) == _each(seed, stream, first, count, n)


def test_a_long_run_with_many_rejections_is_each_key_drawn_alone() -> None:
    # 2**20 + 1 rejects almost half the tries: keys go through every side-by-side round and the finish
    n = 2**20 + 1
    assert keyed_below_run(5, STREAM_PROMPT, 1000, 2048, n) == _each(5, STREAM_PROMPT, 1000, 2048, n)
