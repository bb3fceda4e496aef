"""``latency:`` — how long the provider takes, as a distribution.

A bare duration is a constant.  The response waits the sampled time, whatever
the response is.  Pure: no I/O.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

from fake_providers.faults.decisions import Draft
from fake_providers.faults.durations import parse_duration
from fake_providers.faults.problems import FaultPlanError, check_keys, expect_mapping, join, read_str
from fake_providers.faults.registry import register

__all__ = ["DISTRIBUTIONS", "LatencyDist", "LatencyEffect"]

#: dist name -> its parameter keys, in the order ``params`` holds them.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "uniform": ("min", "max"),
    "normal": ("mean", "std"),
    "lognormal": ("p50", "p95"),
    "empirical": ("values",),
    # memoryless service times: what queueing theory's M/M/c assumes (the twin's proofs use it)
    "exponential": ("mean",),
}
_Z95 = 1.6448536269514722  # standard normal quantile at 0.95


@dataclass(frozen=True, slots=True)
class LatencyDist:
    dist: str
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.dist not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.dist!r}")
        if not self.params or any(not (math.isfinite(p) and p >= 0) for p in self.params):
            raise ValueError(f"{self.dist} parameters must be finite and >= 0, got {self.params}")

    @classmethod
    def constant(cls, seconds: float) -> LatencyDist:
        return cls("constant", (seconds,))

    @classmethod
    def lognormal(cls, p50: float, p95: float) -> LatencyDist:
        return cls("lognormal", (p50, p95))

    @classmethod
    def parse(cls, value: object, where: str) -> LatencyDist:
        if not isinstance(value, dict):
            return cls.constant(parse_duration(value, where))
        body = expect_mapping(value, where)
        dist = read_str(body.get("dist", "constant"), join(where, "dist"), DISTRIBUTIONS)
        keys = DISTRIBUTIONS[dist]
        check_keys(body, ("dist", *keys), where, required=keys)
        if dist == "empirical":
            raw = body["values"]
            path = join(where, "values")
            if not isinstance(raw, list) or not raw:
                raise FaultPlanError(path, "expected a non-empty list of durations")
            params = tuple(parse_duration(v, f"{path}[{i}]") for i, v in enumerate(raw))
        else:
            params = tuple(parse_duration(body[k], join(where, k)) for k in keys)
        a = params[0]
        if dist == "uniform" and params[1] < a:
            raise FaultPlanError(join(where, "max"), f"must be >= min ({a} s), got {params[1]} s")
        if dist == "lognormal":
            if a <= 0:
                raise FaultPlanError(join(where, "p50"), "must be > 0")
            if params[1] < a:
                raise FaultPlanError(join(where, "p95"), f"must be >= p50 ({a} s), got {params[1]} s")
        return cls(dist, params)

    def sample(self, rng: random.Random) -> float:
        p = self.params
        dist = self.dist
        if dist == "lognormal":   # the default baseline: asked once per provider call
            sigma = math.log(p[1] / p[0]) / _Z95
            return p[0] * math.exp(sigma * rng.gauss(0.0, 1.0))
        if dist == "constant":
            return p[0]
        if dist == "uniform":
            return rng.uniform(p[0], p[1])
        if dist == "normal":
            return max(0.0, rng.gauss(p[0], p[1]))
        if dist == "exponential":
            return rng.expovariate(1.0 / p[0]) if p[0] > 0 else 0.0
        return p[rng.randrange(len(p))]

    def scaled(self, factor: float) -> LatencyDist:
        return LatencyDist(self.dist, tuple(v * factor for v in self.params))

    def to_json(self) -> dict[str, object]:
        if self.dist == "empirical":
            return {"dist": "empirical", "values": list(self.params)}
        return {"dist": self.dist, **dict(zip(DISTRIBUTIONS[self.dist], self.params, strict=True))}


@dataclass(frozen=True, slots=True)
class LatencyEffect:
    slot: ClassVar[str] = "latency"
    kind: ClassVar[str] = "latency"

    dist: LatencyDist

    @classmethod
    def parse(cls, value: object, where: str) -> LatencyEffect:
        return cls(LatencyDist.parse(value, where))

    def draw(self, draft: Draft, rng: random.Random, time_scale: float) -> None:
        draft.latency = self.dist.sample(rng)

    def scaled(self, factor: float) -> LatencyEffect:
        return LatencyEffect(self.dist.scaled(factor))

    def to_json(self) -> object:
        return self.dist.to_json()


register("latency", LatencyEffect.parse)
