"""latency: delay each chunk by ``latency`` ± ``jitter`` ms, counted from when it was read.

As in Toxiproxy, the delay is measured from the chunk's read time, so chunks that queued behind a
slow one are not delayed twice, and order is kept.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace

from .base import ToxicBase, ToxicStub, register

__all__ = ["LatencyToxic", "draw_delay_ms"]


def draw_delay_ms(latency: int, jitter: int, rng: random.Random) -> int:
    """Toxiproxy's ``latency + rand.Int63n(2*jitter) - jitter``: in [latency-jitter, latency+jitter)."""
    if jitter <= 0:
        return latency
    return latency + rng.randrange(2 * jitter) - jitter


@register("latency")
@dataclass(frozen=True, slots=True)
class LatencyToxic(ToxicBase):
    buffer_size = 1024
    latency: int = 0
    jitter: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        while (chunk := await stub.recv()) is not None:
            stub.held = chunk
            sleep = draw_delay_ms(self.latency, self.jitter, stub.rng) / 1000 - (stub.now() - chunk.ts)
            if sleep > 0:
                await asyncio.sleep(sleep)
                chunk = replace(chunk, ts=chunk.ts + sleep)
            await stub.send(chunk)
        await stub.close()
