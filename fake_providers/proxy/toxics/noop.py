"""noop: passes data through untouched; also the hidden first stage of every chain."""

from __future__ import annotations

from dataclasses import dataclass

from .base import ToxicBase, ToxicStub, register

__all__ = ["NoopToxic", "pass_through"]


async def pass_through(stub: ToxicStub) -> None:
    while (chunk := await stub.recv()) is not None:
        await stub.send(chunk)
    await stub.close()


@register("noop")
@dataclass(frozen=True, slots=True)
class NoopToxic(ToxicBase):
    async def pipe(self, stub: ToxicStub) -> None:
        await pass_through(stub)
