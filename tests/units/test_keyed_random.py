"""Keyed generators: pure in (seed, stream, key), apart across keys, and uniform enough to draw faults from."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from units.keyed_random import (
    STREAM_CALL,
    STREAM_PROMPT,
    STREAM_ROUTE,
    KeyedRandom,
    keyed_below,
    keyed_choice_of,
    keyed_rng,
)

words = st.integers(min_value=-(2**70), max_value=2**70)


@given(words, st.sampled_from([STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE]), words)
def test_the_same_key_gives_the_same_draws(seed: int, stream: int, key: int) -> None:
    a, b = keyed_rng(seed, stream, key), keyed_rng(seed, stream, key)
    assert [a.random() for _ in range(5)] == [b.random() for _ in range(5)]
    assert a.randrange(1000) == b.randrange(1000)
    assert a.gauss(0.0, 1.0) == b.gauss(0.0, 1.0)


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=0, max_value=2**40))
def test_neighbouring_keys_seeds_and_streams_start_apart(seed: int, key: int) -> None:
    first = {keyed_rng(seed, STREAM_CALL, key).random(),
             keyed_rng(seed, STREAM_CALL, key + 1).random(),
             keyed_rng(seed + 1, STREAM_CALL, key).random(),
             keyed_rng(seed, STREAM_ROUTE, key).random()}
    assert len(first) == 4


@given(words, st.integers(min_value=0, max_value=300))
def test_draws_are_in_range(state: int, bits: int) -> None:
    rng = KeyedRandom(state)
    assert 0.0 <= rng.random() < 1.0
    assert 0 <= rng.getrandbits(bits) < 2**bits
    assert 0 <= rng.randrange(7) < 7


def test_first_draws_over_consecutive_keys_are_uniform() -> None:
    # The twin and the fakes take one generator per call and draw a few numbers from it, so what must
    # be uniform is the first draw across consecutive keys: chi-squared over 20 bins of 100,000 keys.
    bins = [0] * 20
    n = 100_000
    for key in range(n):
        bins[int(keyed_rng(7, STREAM_CALL, key).random() * 20)] += 1
    chi2 = sum((c - n / 20) ** 2 / (n / 20) for c in bins)
    assert chi2 < 43.8  # the 0.1 % critical value with 19 degrees of freedom


def test_means_match_the_distributions() -> None:
    rng = keyed_rng(3, STREAM_CALL, 0)
    n = 50_000
    exp_mean = sum(rng.expovariate(2.0) for _ in range(n)) / n
    assert math.isclose(exp_mean, 0.5, rel_tol=0.03)
    normals = [rng.gauss(1.0, 2.0) for _ in range(n)]
    mean = sum(normals) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in normals) / n)
    assert abs(mean - 1.0) < 0.05 and math.isclose(sd, 2.0, rel_tol=0.03)


def test_it_is_a_random_random_and_state_round_trips() -> None:
    rng = keyed_rng(1, STREAM_PROMPT, 2)
    assert isinstance(rng, random.Random)
    rng.random()
    saved = rng.getstate()
    after = [rng.random() for _ in range(3)]
    rng.setstate(saved)
    assert [rng.random() for _ in range(3)] == after


@given(words, st.sampled_from([STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE]), words,
       st.one_of(st.integers(min_value=1, max_value=300), st.integers(min_value=-5, max_value=2**80)))
def test_keyed_below_is_the_generators_randrange(seed: int, stream: int, key: int, n: int) -> None:
    try:
        expected: int | str = keyed_rng(seed, stream, key).randrange(n)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: int | str = keyed_below(seed, stream, key, n)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


def test_keyed_below_draws_as_the_generator_up_to_64_bits() -> None:
    # past sys.maxsize a range has no len(): the widest draws must still be the generator's
    for n in (2**62, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, 2**64):
        assert [keyed_below(5, STREAM_CALL, k, n) for k in range(20)] == \
            [keyed_rng(5, STREAM_CALL, k).randrange(n) for k in range(20)]


def test_keyed_below_retries_as_the_generator_does() -> None:
    # n just above a power of two rejects nearly half the tries: the retry loop must match too
    n = 2**40 + 1
    assert [keyed_below(9, STREAM_PROMPT, k, n) for k in range(300)] == \
        [keyed_rng(9, STREAM_PROMPT, k).randrange(n) for k in range(300)]


@given(words, st.sampled_from([STREAM_CALL, STREAM_PROMPT, STREAM_ROUTE]),
       st.lists(words, min_size=1, max_size=8),
       st.one_of(st.integers(min_value=1, max_value=300), st.integers(min_value=2**40, max_value=2**40 + 3)))
def test_keyed_choice_of_is_the_generators_choice(seed: int, stream: int, keys: list[int], n: int) -> None:
    # one chooser for many keys (its seed's part worked out once), and a range as long as any real list
    seq = range(n)
    choose = keyed_choice_of(seed, stream, seq)
    assert [choose(k) for k in keys] == [keyed_rng(seed, stream, k).choice(seq) for k in keys]


def test_keyed_choice_of_an_empty_sequence_fails_as_the_generator() -> None:
    choose = keyed_choice_of(1, STREAM_PROMPT, ())
    with pytest.raises(IndexError):
        choose(3)


@given(words, st.integers(min_value=0, max_value=3))
def test_random_is_the_mixers_next_word_as_a_float(state: int, skip: int) -> None:
    # random() steps the state itself: it must stay _next()'s top 53 bits, draw after draw
    a, b = KeyedRandom(state), KeyedRandom(state)
    for _ in range(skip):
        a.random()
        b._next()
    assert a.random() == (b._next() >> 11) * 2.0**-53
    assert a.getstate() == b.getstate()


def test_a_generator_keeps_its_state_in_slots_and_still_copies_and_pickles() -> None:
    import copy  # lazy: only this test copies generators
    import pickle  # lazy: only this test pickles generators

    rng = keyed_rng(4, STREAM_CALL, 8)
    rng.gauss(0.0, 1.0)   # leaves its spare normal in gauss_next
    assert vars(rng) == {}   # no instance dict built per generator
    for twin in (copy.copy(rng), copy.deepcopy(rng), pickle.loads(pickle.dumps(rng))):
        assert type(twin) is KeyedRandom and twin.getstate() == rng.getstate()
        assert [twin.gauss(0.0, 1.0), twin.random()] == [copy.copy(rng).gauss(0.0, 1.0), copy.copy(rng).random()]
