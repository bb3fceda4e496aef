"""Confidence intervals by batch means, for correlated output such as successive waiting times.

The series is cut into ``batches`` equal consecutive batches (after a warm-up
that is dropped); batch statistics are close to independent when batches are
long against the correlation time, so a Student t interval over them is valid.
Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Interval", "batch_interval", "quantile"]

# Student t quantiles at 0.975 for the degrees of freedom the twin's proofs use.
_T975 = {9: 2.262, 19: 2.093, 29: 2.045, 39: 2.023, 49: 2.010, 99: 1.984}


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    half_width: float
    batches: int

    @property
    def low(self) -> float:
        return self.estimate - self.half_width

    @property
    def high(self) -> float:
        return self.estimate + self.half_width

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def relative_error(self, value: float) -> float:
        return abs(self.estimate - value) / abs(value)


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (linear interpolation between order statistics)."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def batch_interval(
    series: Sequence[float],
    statistic: Callable[[Sequence[float]], float],
    *,
    batches: int = 20,
    warmup: int = 0,
) -> Interval:
    """A 95 % interval for ``statistic`` of the series' steady state, by ``batches`` batch means."""
    if batches - 1 not in _T975:
        raise ValueError(f"batches: one of {sorted(k + 1 for k in _T975)}, got {batches!r}")
    data = series[warmup:]
    size = len(data) // batches
    if size < 2:
        raise ValueError(f"{len(data)} values after the warm-up are too few for {batches} batches")
    stats = [statistic(data[i * size:(i + 1) * size]) for i in range(batches)]
    mean = sum(stats) / batches
    var = sum((s - mean) ** 2 for s in stats) / (batches - 1)
    return Interval(mean, _T975[batches - 1] * math.sqrt(var / batches), batches)
