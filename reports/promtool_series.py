"""The input series of a ``promtool test rules`` file (``reports.export_promtool``): the run's scraped
``/metrics`` on the scrape grid ``k * interval``, in promtool's expanding notation, with the steps whose
scrape failed and the steps at which a series first appeared.

Pure: scrapes in, series out; no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .scrapes import Scrape, series_key

__all__ = ["SeriesGrid", "grid_interval", "input_series"]


def grid_interval(scrapes: Sequence[Scrape]) -> float:
    """The scrape interval: the median gap between consecutive scrapes, to the millisecond."""
    times = sorted(s.t_s for s in scrapes)
    gaps = sorted(b - a for a, b in itertools.pairwise(times) if b > a)
    if not gaps:
        raise ValueError("fewer than two scrapes: no interval to build series on")
    return max(0.001, round(gaps[len(gaps) // 2], 3))


def _fmt(value: float) -> str:
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.12g}"


def _values(column: Sequence[float | None]) -> str:
    """promtool's expanding notation: runs of one value as ``vxN`` (N + 1 samples), gaps as ``_``."""
    out: list[str] = []
    i = 0
    while i < len(column):
        j = i
        while j + 1 < len(column) and column[j + 1] == column[i]:
            j += 1
        v = column[i]
        token = "_" if v is None else _fmt(v)
        run = j - i + 1
        if run >= 3 and (v is None or v >= 0):
            out.append(f"{token}x{run - 1}")
        else:
            out.extend([token] * run)
        i = j + 1
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class SeriesGrid:
    series: list[dict[str, str]]
    failed: list[bool]  # per step: its scrape failed (or there was none)
    births: dict[str, list[int]]  # metric name -> steps (> 0) at which one of its series first appeared


def input_series(scrapes: Sequence[Scrape], interval: float, steps: int) -> SeriesGrid:
    """Series on the grid ``k * interval`` (k = 0..steps), failed steps, and when series were born."""
    columns: dict[str, list[float | None]] = {}
    failed = [False] * (steps + 1)
    for s in sorted(scrapes, key=lambda s: s.t_s):
        k = round(s.t_s / interval)
        if k < 0 or k > steps:
            continue
        if s.error is not None:
            failed[k] = True
            continue
        failed[k] = False
        for x in s.samples:
            if not math.isfinite(x.value):
                continue
            col = columns.setdefault(series_key(x.name, x.labels), [None] * (steps + 1))
            col[k] = x.value
    for k in range(steps + 1):   # no scrape on a step at all is as much a gap as a failed one
        if not failed[k] and not any(col[k] is not None for col in columns.values()):
            failed[k] = True
    series = [{"series": key, "values": _values(col)} for key, col in sorted(columns.items())]
    births: dict[str, list[int]] = {}
    for key, col in columns.items():
        first = next(k for k, v in enumerate(col) if v is not None)
        if first > 0:
            births.setdefault(key.partition("{")[0], []).append(first)
    return SeriesGrid(series, failed, births)
