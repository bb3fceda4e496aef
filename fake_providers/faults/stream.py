"""``stream:`` — how tokens flow: time to first token, tokens per second, a stall.

``tokens_per_s`` is per *scaled* second: under ``time_scale`` 0.1 a rate of 5
tokens/s becomes 50 real tokens/s, so a replayed incident keeps its shape.
Pure: no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import ClassVar

from fake_providers.faults.decisions import Draft, StreamShape
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.problems import (
    FaultPlanError,
    check_keys,
    expect_mapping,
    join,
    read_int,
    read_number,
)
from fake_providers.faults.registry import register

__all__ = ["StreamEffect"]


@dataclass(frozen=True, slots=True)
class StreamEffect:
    slot: ClassVar[str] = "stream"
    kind: ClassVar[str] = "stream"

    ttft_s: float | None = None
    tokens_per_s: float | None = None   # per scaled second
    stall_after_tokens: int | None = None
    stall_s: float = 0.0

    @classmethod
    def parse(cls, value: object, where: str) -> StreamEffect:
        body = expect_mapping(value, where)
        check_keys(body, ("ttft", "tokens_per_s", "stall"), where)
        if not body:
            raise FaultPlanError(where, "needs at least one of ttft, tokens_per_s, stall")
        ttft = parse_duration(body["ttft"], join(where, "ttft")) if "ttft" in body else None
        rate = None
        if "tokens_per_s" in body:
            # A token per 1000 s is already a hang; past a million per second the wire is the limit.
            rate = read_number(body["tokens_per_s"], join(where, "tokens_per_s"), minimum=0.001, maximum=1e6)
        after, stall = None, 0.0
        if "stall" in body:
            path = join(where, "stall")
            spec = expect_mapping(body["stall"], path)
            check_keys(spec, ("after_tokens", "duration"), path, required=("after_tokens", "duration"))
            after = read_int(spec["after_tokens"], join(path, "after_tokens"))
            stall = parse_duration(spec["duration"], join(path, "duration"))
        return cls(ttft, rate, after, stall)

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.stream = self.shape(time_scale)

    def shape(self, time_scale: float) -> StreamShape:
        """The real-time shape (``ttft``/``stall`` already scaled; the rate converted here)."""
        rate = None if self.tokens_per_s is None else self.tokens_per_s / time_scale
        return StreamShape(self.ttft_s, rate, self.stall_after_tokens, self.stall_s)

    def scaled(self, factor: float) -> StreamEffect:
        ttft = None if self.ttft_s is None else self.ttft_s * factor
        return replace(self, ttft_s=ttft, stall_s=self.stall_s * factor)

    def to_json(self) -> object:
        out: dict[str, object] = {}
        if self.ttft_s is not None:
            out["ttft"] = self.ttft_s
        if self.tokens_per_s is not None:
            out["tokens_per_s"] = self.tokens_per_s
        if self.stall_after_tokens is not None:
            out["stall"] = {"after_tokens": self.stall_after_tokens, "duration": self.stall_s}
        return out


register("stream", StreamEffect.parse)
