"""reset_peer: on the first data, wait ``timeout`` ms, then reset the connection (TCP RST).

The data itself is dropped.  The link closes both sockets with SO_LINGER 0, so the peers see
"connection reset by peer" rather than an orderly FIN.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .base import ToxicBase, ToxicStub, register

__all__ = ["ResetPeerToxic"]


@register("reset_peer")
@dataclass(frozen=True, slots=True)
class ResetPeerToxic(ToxicBase):
    timeout: int = 0

    async def pipe(self, stub: ToxicStub) -> None:
        await stub.recv()
        await asyncio.sleep(self.timeout / 1000)
        stub.request_reset()
        await stub.close()
