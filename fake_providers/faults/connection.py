"""``connection:`` — refuse, reset or hang, at the TCP level.

Pure: no I/O.  A reset goes out after a random number of response bytes
(0..``MAX_RESET_BYTES``), so sometimes before the status line and sometimes
mid-body, as a real mid-response RST does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import Draft, Hang, Refuse, Reset
from fake_providers.faults.problems import read_str
from fake_providers.faults.registry import register

__all__ = ["CONNECTION_MODES", "MAX_RESET_BYTES", "ConnectionEffect"]

CONNECTION_MODES: tuple[str, ...] = ("refuse", "reset", "hang")
MAX_RESET_BYTES = 256


@dataclass(frozen=True, slots=True)
class ConnectionEffect:
    slot: ClassVar[str] = "response"
    kind: ClassVar[str] = "connection"

    mode: str

    @classmethod
    def parse(cls, value: object, where: str) -> ConnectionEffect:
        return cls(read_str(value, where, CONNECTION_MODES))

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.response = self.outcome(rng)

    def outcome(self, rng: random.Random) -> Refuse | Reset | Hang:
        if self.mode == "refuse":
            return Refuse()
        if self.mode == "hang":
            return Hang()
        return Reset(rng.randrange(MAX_RESET_BYTES + 1))

    def scaled(self, factor: float) -> ConnectionEffect:
        return self

    def to_json(self) -> object:
        return self.mode


register("connection", ConnectionEffect.parse)
