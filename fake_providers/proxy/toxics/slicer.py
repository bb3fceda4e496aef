"""slicer: cut each chunk into pieces of about ``average_size`` ± ``size_variation`` bytes,
``delay`` µs apart: the same bytes, many more reads for the peer."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from ..errors import ApiError
from .base import Chunk, ToxicBase, ToxicStub, register

__all__ = ["SlicerToxic", "slice_bounds"]


def slice_bounds(size: int, average: int, variation: int, rng: random.Random) -> list[tuple[int, int]]:
    """Toxiproxy's recursive halving: split until a piece is within ``variation`` of ``average``.

    Returns contiguous ``(start, end)`` pairs covering ``[0, size)``.  Iterative, so a huge chunk
    cannot exhaust the stack; ``average >= 1`` and ``variation < average`` keep every cut inside
    the piece it splits.
    """
    pieces: list[tuple[int, int]] = []
    stack = [(0, size)]
    while stack:
        start, end = stack.pop()
        if (end - start) - average <= variation:
            pieces.append((start, end))
            continue
        offset = rng.randrange(2 * variation) - variation if variation > 0 else 0
        # Clamped so no piece is empty: a zero-length read would look like end of stream.
        mid = min(max(start + (end - start) // 2 + offset, start + 1), end - 1)
        stack.append((mid, end))
        stack.append((start, mid))
    return pieces


@register("slicer")
@dataclass(frozen=True, slots=True)
class SlicerToxic(ToxicBase):
    buffer_size = 1
    average_size: int = 0
    size_variation: int = 0
    delay: int = 0

    def validate(self) -> None:
        if self.average_size < 1:
            raise ApiError("bad request body: attributes.average_size of toxic type 'slicer' "
                           "must be >= 1", 400)
        if self.size_variation >= self.average_size:
            raise ApiError("bad request body: attributes.size_variation of toxic type 'slicer' "
                           "must be less than average_size", 400)

    async def pipe(self, stub: ToxicStub) -> None:
        while (chunk := await stub.recv()) is not None:
            stub.held = chunk
            data = chunk.data
            for start, end in slice_bounds(len(data), self.average_size, self.size_variation, stub.rng):
                await stub.send(Chunk(data[start:end], chunk.ts))
                stub.held = Chunk(data[end:], chunk.ts) if end < len(data) else None
                await asyncio.sleep(self.delay / 1_000_000)
        await stub.close()
