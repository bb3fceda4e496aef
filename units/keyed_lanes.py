"""Keyed draws for a run of consecutive keys at once: ``keyed_below`` for keys k, k+1, ... side by side.

The twin chooses one prompt per request, and request ids are consecutive, so the
draws of a block of keys can be made together.  Python has no 64-bit lanes, but
a big int is one: key ``k + i`` sits in bits ``[128 i, 128 i + 64)`` of one int.
Every step of SplitMix64 is then one big-int operation for the whole block, lane
by lane, because the 64 bits above each word keep lanes apart: a product of a
64-bit word by a 64-bit constant stays below ``2**128``, a carry out of an
addition lands in the gap, and bits a right shift moves down from the next lane
land in the gap too; masking every lane to 64 bits after each such step drops
what is in the gaps.  A block costs a few dozen operations on one int instead of
a dozen per key, and the results are those of ``keyed_below`` bit for bit (the
tests compare them for any seed, stream, first key and bound).

Rejection sampling (a draw of ``n.bit_length()`` bits at or above ``n`` is
drawn again) runs a few rounds side by side; a key still rejected after them
(rare: each round rejects fewer than half) is finished by ``keyed_below`` alone.
"""

from __future__ import annotations

import functools
import sys

from .keyed_random import _GOLDEN, _MASK, _stream_state, keyed_below

__all__ = ["keyed_below_run"]

_LANE = 128
#: rounds drawn side by side before the keys still rejected are finished one by one
_ROUNDS = 3


@functools.lru_cache(maxsize=8)
def _lanes(count: int) -> tuple[int, int, int, int]:
    """1, i, 2**64 - 1 and the golden step in lane i of ``count`` lanes: what every block is built from."""
    ones = int.from_bytes((b"\x01" + b"\x00" * 15) * count, "little")
    ramp = sum(i << (_LANE * i) for i in range(count))
    return ones, ramp, _MASK * ones, _GOLDEN * ones


def _mix_lanes(z: int, mask: int, last: int) -> int:
    """``keyed_random._mix`` in every lane of ``z`` (each lane below ``2**64``), masked at the end by ``last``."""
    z = (((z ^ (z >> 30)) & mask) * 0xBF58476D1CE4E5B9) & mask
    z = (((z ^ (z >> 27)) & mask) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) & last


def _words(z: int, count: int) -> list[int]:
    """The ``count`` lanes of ``z`` (each below ``2**64``) as ints."""
    return memoryview(z.to_bytes(16 * count, "little")).cast("Q")[::2].tolist()


def keyed_below_run(seed: int, stream: int, first_key: int, count: int, n: int) -> list[int]:
    """``[keyed_below(seed, stream, k, n) for k in range(first_key, first_key + count)]``, side by side."""
    if (type(n) is not int or not 0 < n <= _MASK or type(first_key) is not int or first_key < 0
            or type(count) is not int or count < 1 or first_key + count > _MASK or sys.byteorder != "little"):
        return [keyed_below(seed, stream, k, n) for k in range(first_key, first_key + count)]
    ones, ramp, mask, step = _lanes(count)
    keys = first_key * ones + ramp
    state = _mix_lanes(((_stream_state(seed, stream) * ones ^ keys) + step) & mask, mask, mask)
    low = ((1 << n.bit_length()) - 1) * ones
    out: list[int] = []
    todo: list[int] = []
    for round_ in range(_ROUNDS):
        state = (state + step) & mask
        drawn = _words(_mix_lanes(state, mask, low), count)
        if round_ == 0:
            out = drawn
            todo = [i for i, r in enumerate(drawn) if r >= n]
        else:
            still = []
            for i in todo:
                r = drawn[i]
                if r < n:
                    out[i] = r
                else:
                    still.append(i)
            todo = still
        if not todo:
            return out
    for i in todo:
        out[i] = keyed_below(seed, stream, first_key + i, n)
    return out
