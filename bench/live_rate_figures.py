"""What a rung's requests say: how many left late, how many were ok, send lag and latency quantiles.

Part of ``bench_live_rate.py`` (the live runner's highest sustained rate); pure, no I/O but the reader.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Summary", "read_records", "summarize"]


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    late_share: float          # sent more than `late_s` after the intended time (or never sent)
    ok_share: float
    lag_p50_s: float
    lag_p99_s: float
    latency_p99_s: float
    start_lag_s: float         # the send lag of the very first request of the run (warm-up included)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def summarize(records: Iterable[Mapping[str, Any]], from_s: float, late_s: float = 0.010) -> Summary:
    """Figures over the requests intended at or after ``from_s`` (the steady stage)."""
    lags: list[float] = []
    latencies: list[float] = []
    n = late = ok = 0
    first: tuple[float, float] | None = None
    for rec in records:
        intended = float(rec["intended_s"])
        sent = rec.get("sent_s")
        if sent is not None and (first is None or intended < first[0]):
            first = (intended, float(sent) - intended)
        if intended < from_s:
            continue
        n += 1
        ok += rec.get("outcome") == "ok"
        if sent is None:
            late += 1
        else:
            lag = float(sent) - intended
            lags.append(lag)
            late += lag > late_s
        if rec.get("latency_s") is not None:
            latencies.append(float(rec["latency_s"]))
    lags.sort()
    latencies.sort()
    return Summary(
        n=n,
        late_share=late / n if n else 1.0,
        ok_share=ok / n if n else 0.0,
        lag_p50_s=_quantile(lags, 0.50),
        lag_p99_s=_quantile(lags, 0.99),
        latency_p99_s=_quantile(latencies, 0.99),
        start_lag_s=first[1] if first else math.nan,
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out
