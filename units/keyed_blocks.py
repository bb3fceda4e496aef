"""``keyed_choice_of``'s draws for a block of consecutive keys at once, in numpy's 64-bit arithmetic.

The twin chooses a prompt for every request, keys 0, 1, 2 ... in turn.  One key's choice is two or
three rounds of SplitMix64 on Python ints, each operation a new 64- or 128-bit int: ~15,800
instructions of a ~120,000-instruction request.  The same rounds on a numpy ``uint64`` array of
``BLOCK`` keys cost a few instructions a key: numpy's unsigned arithmetic wraps modulo 2**64, which
is exactly what ``& _MASK`` does to the Python ints, and shifts, xors and compares are the same
operations, so every index is the one the scalar loop finds (a property test checks, for any key).

Only the twin imports this (``workload.prompts.prompt_chooser``): the gateway's ``units.keyed_random``
stays free of numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

# the generator's own constants and (seed, stream) state, so the two cannot drift
from .keyed_random import _GOLDEN, _MASK, _stream_state, keyed_choice_of
from .keyed_random import _mix as _mix_int

__all__ = ["BLOCK", "block_choice_of", "block_indices"]

_T = TypeVar("_T")

#: keys drawn per block: one block's indices are a list of this many ints, the memo's whole size
BLOCK = 4096
_U = np.uint64
_GOLD = _U(_GOLDEN)
# ``keyed_random._mix`` itself runs on the uint64 arrays: its Python-int constants and ``& _MASK`` are uint64
# values there (NEP 50), its products wrap modulo 2**64 and the mask keeps every bit, so one mixer serves both
_mix: Callable[[Any], Any] = _mix_int


def block_indices(seed: int, stream: int, n: int, first: int, count: int) -> list[int]:
    """``[i(first), ..., i(first + count - 1)]``, ``i(key)`` the index ``keyed_choice_of(seed, stream, seq)``
    draws for ``key`` from a ``seq`` of ``n`` items (``0 < n <= 2**64 - 1``, ``0 <= first``,
    ``first + count <= 2**64``)."""
    low = _U((1 << n.bit_length()) - 1) if n.bit_length() < 64 else _U(_MASK)
    keys = np.arange(count, dtype=np.uint64) + _U(first)
    # keyed_rng's seeding: _mix(((base ^ key) + golden) & mask)
    state = _mix((_U(_stream_state(seed, stream)) ^ keys) + _GOLD)
    out = np.empty(count, dtype=np.uint64)
    todo = np.arange(count)
    while todo.size:   # the rejection loop, for the keys whose draws so far were all >= n
        state = state + _GOLD
        r = _mix(state) & low
        ok = r < _U(n)
        out[todo[ok]] = r[ok]
        todo, state = todo[~ok], state[~ok]
    return out.tolist()


def block_choice_of(seed: int, stream: int, seq: Sequence[_T]) -> Callable[[int], _T]:
    """``keyed_choice_of(seed, stream, seq)``, the same item for every key, drawn a block of keys at a time.

    A key in the block last drawn is a list look-up; any other int key from 0 up starts a new block at it
    (the twin's keys come in increasing order: one block per ``BLOCK`` requests).  Anything else (a
    negative or huge key, a bool, a non-int, an empty ``seq``) takes ``keyed_choice_of``'s own draw.  The
    memo holds indices, not items: ``seq[index]`` is looked up at each call, as the scalar draw does.
    """
    scalar = keyed_choice_of(seed, stream, seq)
    n = len(seq)
    if not 0 < n <= _MASK:
        return scalar
    start, block = 0, block_indices(seed, stream, n, 0, BLOCK)

    def choice(key: int) -> _T:
        nonlocal start, block
        if type(key) is int:
            i = key - start
            if 0 <= i < BLOCK:
                return seq[block[i]]
        if type(key) is not int or not 0 <= key <= _MASK + 1 - BLOCK:
            return scalar(key)
        start, block = key, block_indices(seed, stream, n, key, BLOCK)
        return seq[block[0]]

    return choice
