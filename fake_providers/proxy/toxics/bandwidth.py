"""bandwidth: pass data at ``rate`` KB/s (1 KB = 1000 bytes, as Toxiproxy counts).

Like Toxiproxy, a chunk larger than 100 ms worth of data is sent in 100 ms slices, and the timer's
overshoot is carried into the next sleep so the long-run rate stays exact.  A rate of 0 lets no data
through (Toxiproxy's loop never progresses either).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .base import Chunk, ToxicBase, ToxicStub, register

__all__ = ["BandwidthToxic", "transmit_seconds"]

SLICE_S = 0.1


def transmit_seconds(size: int, rate_kbps: int) -> float:
    """Seconds ``size`` bytes take at ``rate_kbps`` KB/s."""
    return size / (rate_kbps * 1000)


@register("bandwidth")
@dataclass(frozen=True, slots=True)
class BandwidthToxic(ToxicBase):
    rate: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        debt = 0.0  # seconds of sending time owed; negative when the timer overshot
        slice_bytes = self.rate * 100
        while (chunk := await stub.recv()) is not None:
            stub.held = chunk
            if self.rate <= 0:
                await asyncio.Event().wait()  # held until the toxic is removed or changed
            debt += transmit_seconds(len(chunk.data), self.rate)
            data = chunk.data
            while len(data) > slice_bytes:
                await asyncio.sleep(SLICE_S)
                await stub.send(Chunk(data[:slice_bytes], chunk.ts))
                data = data[slice_bytes:]
                stub.held = Chunk(data, chunk.ts)
                debt -= SLICE_S
            start = stub.now()
            if debt > 0:
                await asyncio.sleep(debt)
            debt -= stub.now() - start
            await stub.send(Chunk(data, chunk.ts))
        await stub.close()
