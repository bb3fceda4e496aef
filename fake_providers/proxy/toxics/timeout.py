"""timeout: drop all data; close after ``timeout`` ms without data (0: never close).

As in Toxiproxy the timer restarts whenever a (dropped) chunk arrives, and removing the toxic
closes the connection (its ``Cleanup``): the stalled stream cannot be resumed consistently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .base import ToxicBase, ToxicStub, register

__all__ = ["TimeoutToxic"]


@register("timeout")
@dataclass(frozen=True, slots=True)
class TimeoutToxic(ToxicBase):
    closes_on_removal = True
    timeout: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        limit = self.timeout / 1000 if self.timeout > 0 else None
        while True:
            try:
                chunk = await asyncio.wait_for(stub.recv(), limit)
            except TimeoutError:
                break
            if chunk is None:
                break
        await stub.close()
