"""slow_close: pass data, but hold the close for ``delay`` ms after the peer closed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .base import ToxicBase, ToxicStub, register

__all__ = ["SlowCloseToxic"]


@register("slow_close")
@dataclass(frozen=True, slots=True)
class SlowCloseToxic(ToxicBase):
    delay: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        while (chunk := await stub.recv()) is not None:
            await stub.send(chunk)
        await asyncio.sleep(self.delay / 1000)
        await stub.close()
