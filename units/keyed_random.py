"""Keyed generators: one cheap ``random.Random`` per (seed, stream, key), for live and twin alike.

Whatever must come out the same in a live run and in the twin is drawn from a
generator keyed by what identifies it, never from a shared one whose state
depends on how requests interleave: the prompt of request 17, the fault and the
answer of its second provider call, the router's pick for it.  Seeding a
Mersenne Twister for each of those cost 7-23 us here (``random.Random(int)``
fills 624 words; a string seed also hashes it with SHA-512), the largest single
cost of the twin.  ``KeyedRandom`` is SplitMix64 (Steele, Lea and Flood, 2014):
its state is one 64-bit word, so seeding is a few multiplications, and each
draw is one step of the mixer.  Its period (2**64) is far above the handful of
draws a key ever makes, and it passes BigCrush (it is the seeder of xoshiro).

It lives in ``units/`` because it is the one leaf the gateway, the fakes and
the workload may all import (DESIGN.md, "Layout"), so the three cannot drift.

Streams keep draws for different purposes apart: request 17's prompt and its
router pick use the same key and different streams.  Pure: no global state.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["STREAM_CALL", "STREAM_PROMPT", "STREAM_ROUTE", "KeyedRandom", "keyed_below", "keyed_choice_of",
           "keyed_rng"]

_T = TypeVar("_T")

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
#: 2**-53: a 53-bit integer times this is a float in [0, 1) with every mantissa bit random
_TO_UNIT = 1.0 / 9007199254740992.0

#: what a provider call draws: the fault engine's decision and the composed answer
STREAM_CALL = 1
#: which prompt a user request sends
STREAM_PROMPT = 2
#: the router's weighted pick for a request
STREAM_ROUTE = 3


def _mix(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit words that scatters every input bit."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class KeyedRandom(random.Random):
    """A ``random.Random`` whose core is SplitMix64 over one 64-bit word.

    Every method of ``random.Random`` (``randrange``, ``choice``, ``gauss``,
    ``expovariate``, ``sample`` ...) works, built on ``random`` and
    ``getrandbits`` as the standard library documents for subclasses.
    """

    # random.Random's gauss keeps its spare normal in gauss_next: as slots, no instance dict is built for a
    # generator that lives for one call (built, set and freed: ~1/6 of making one)
    __slots__ = ("_state", "gauss_next")

    def __init__(self, state: int = 0) -> None:
        # Not super().__init__: that would seed the Mersenne Twister this class never uses.
        self._state = state & _MASK
        self.gauss_next = None

    def seed(self, a: Any = None, version: int = 2) -> None:
        """Restart from ``a`` (an int is used as is; anything else through ``hash``)."""
        self._state = (a if isinstance(a, int) else hash(a)) & _MASK
        self.gauss_next = None

    def getstate(self) -> Any:
        return (self._state, self.gauss_next)

    def setstate(self, state: Any) -> None:
        self._state, self.gauss_next = state

    def _next(self) -> int:
        self._state = (self._state + _GOLDEN) & _MASK
        return _mix(self._state)

    def random(self) -> float:
        """A float in [0, 1)."""
        # _next's step written out: one call less on the draw that gauss, expovariate and choices make
        state = self._state = (self._state + _GOLDEN) & _MASK
        return (_mix(state) >> 11) * _TO_UNIT

    def getrandbits(self, k: int) -> int:
        """An int with ``k`` random bits."""
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        bits = 0
        filled = 0
        while filled < k:
            bits |= self._next() << filled
            filled += 64
        return bits & ((1 << k) - 1)


def keyed_rng(seed: int, stream: int, key: int) -> KeyedRandom:
    """The generator of ``key`` in ``stream`` of the run seeded ``seed``: a pure function of the three.

    Each of the three goes through the mixer before the next is added, so nearby
    seeds, streams and keys (request 17 and 18, seed 1 and 2) start far apart.
    """
    state = _stream_state(seed, stream)
    return KeyedRandom(_mix(((state ^ (key & _MASK)) + _GOLDEN) & _MASK))


def keyed_below(seed: int, stream: int, key: int, n: int) -> int:
    """``keyed_rng(seed, stream, key).randrange(n)``, the very same draws, without the generator.

    ``randrange(n)`` is ``random.Random._randbelow_with_getrandbits`` here (the class overrides
    ``getrandbits``): ``n.bit_length()`` bits from ``getrandbits`` until they are below ``n``; for
    ``n < 2**64`` each try is one step of the mixer masked to those bits.  One draw per user request
    (its prompt) went through five Python layers and an object for that: ~3 us of a ~60 us request.
    """
    # range(n) has a len() only up to sys.maxsize: past it (and for errors) the generator's own draw
    if type(n) is not int or not 0 < n <= sys.maxsize:
        return keyed_rng(seed, stream, key).randrange(n)
    return _below(seed, stream, n)(key)   # randrange(n) is choice(range(n)): the same _randbelow(n)


def keyed_choice_of(seed: int, stream: int, seq: Sequence[_T]) -> Callable[[int], _T]:
    """``lambda key: keyed_rng(seed, stream, key).choice(seq)``: the same draws, the seed's part worked out once.

    For a caller that draws from the same ``seq`` for every key (the twin's prompt of each
    request): the (seed, stream) mix, ``len(seq)`` and the mask of its bits are found here, once,
    not per key.  ``choice`` is ``seq[_randbelow(len(seq))]``, the loop ``keyed_below`` documents.
    """
    n = len(seq)
    if not 0 < n <= _MASK:
        return lambda key: keyed_rng(seed, stream, key).choice(seq)   # errors as the generator's
    base = _stream_state(seed, stream)
    low = (1 << n.bit_length()) - 1

    def choice(key: int) -> _T:
        # keyed_rng's seeding and KeyedRandom._next, on a local state instead of an object
        state = _mix(((base ^ (key & _MASK)) + _GOLDEN) & _MASK)
        while True:
            state = (state + _GOLDEN) & _MASK
            r = _mix(state) & low
            if r < n:
                return seq[r]

    return choice


@functools.lru_cache(maxsize=64)
def _below(seed: int, stream: int, n: int) -> Callable[[int], int]:
    return keyed_choice_of(seed, stream, range(n))


# A run has one seed and three streams but a key per request and per call: the (seed, stream) part is
# mixed once.  Bounded, so that a caller cycling through seeds only evicts.
@functools.lru_cache(maxsize=64)
def _stream_state(seed: int, stream: int) -> int:
    state = _mix(((seed & _MASK) + _GOLDEN) & _MASK)
    return _mix(((state ^ stream) + _GOLDEN) & _MASK)
