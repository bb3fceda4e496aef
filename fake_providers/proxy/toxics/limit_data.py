"""limit_data: pass at most ``bytes`` bytes in this direction, then close the connection.

The count survives the toxic being interrupted (an update or a neighbour's change), as
Toxiproxy's per-connection state does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Chunk, ToxicBase, ToxicStub, register

__all__ = ["LimitDataToxic", "LimitState", "take_within_limit"]


class LimitState:
    __slots__ = ("transmitted",)

    def __init__(self) -> None:
        self.transmitted = 0


def take_within_limit(size: int, transmitted: int, limit: int) -> int:
    """How many of ``size`` new bytes may still pass."""
    return max(0, min(size, limit - transmitted))


@register("limit_data")
@dataclass(frozen=True, slots=True)
class LimitDataToxic(ToxicBase):
    bytes: int = 0

    def new_state(self) -> LimitState:
        return LimitState()

    async def pipe(self, stub: ToxicStub) -> None:
        state: LimitState = stub.state
        while (chunk := await stub.recv()) is not None:
            allowed = take_within_limit(len(chunk.data), state.transmitted, self.bytes)
            if allowed > 0:
                # Counted before sending: an interrupt forwards the held chunk, which must count.
                state.transmitted += allowed
                await stub.send(Chunk(chunk.data[:allowed], chunk.ts))
            if state.transmitted >= self.bytes:
                break
        await stub.close()
