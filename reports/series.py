"""Time series of a run, bucketed for plots and the report's ``timeseries``.

Requests sit in the bucket of their intended send time, calls in the bucket of their start.
Latency percentiles per bucket are exact (``reports.percentile``).

The bucket is chosen per run (``choose_bucket``): the smallest of ``NICE_BUCKETS_S`` (scenario seconds)
whose *average* bucket holds at least ``MIN_MEAN_PER_BUCKET`` requests and that keeps the run within
``MAX_BUCKETS`` buckets, else the largest.  Scenarios send a few requests per second of run time, which
at a small time scale is well under one request per 5 s of scenario time: a fixed fine bucket would
leave percentiles of one or two samples, i.e. noise and gaps.  Even so a single bucket can be sparse
(a quiet phase), so a percentile point needs ``MIN_PERCENTILE_SAMPLES`` latencies or it is ``None``.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .columns import BoolArray, FloatArray, call_columns, request_columns
from .percentile import percentile
from .records import FAILED, LOST, OK, CallRecord, EventRecord, RequestRecord

__all__ = [
    "MAX_BUCKETS",
    "MIN_MEAN_PER_BUCKET",
    "MIN_PERCENTILE_SAMPLES",
    "NICE_BUCKETS_S",
    "Series",
    "bucket_count",
    "build_series",
    "choose_bucket",
]

MAX_BUCKETS = 240
NICE_BUCKETS_S: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0)
#: an average bucket should hold this many requests: a p95 of fewer is mostly its maximum
MIN_MEAN_PER_BUCKET = 20
#: a bucket's latency percentiles are left out (``None``) below this many latencies
MIN_PERCENTILE_SAMPLES = 5

Column = tuple[float | None, ...]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Series:
    bucket_s: float
    t_s: tuple[float, ...]  # bucket starts
    latency: dict[str, Column]  # "p50", "p95", "p99"
    outcomes: dict[str, tuple[int, ...]]  # ok, fallback, degraded, failed, lost
    calls: dict[str, tuple[int, ...]]  # provider -> calls per bucket
    errors: dict[str, tuple[int, ...]]  # provider -> failed calls per bucket
    cache_hit_rate: Column
    confidence_avg: Column
    json_error_rate: Column
    amplification: Column  # calls / sent requests per bucket
    breaker: dict[str, tuple[tuple[float, str], ...]]  # provider -> (t, to_state) transitions
    correct_rate: Column = ()  # correct / judged answers against gold (None: nothing judged in the bucket)


def bucket_count(end_s: float, bucket_s: float) -> int:
    """How many buckets ``[k*b, (k+1)*b)`` cover ``[0, end_s]`` (at least one)."""
    return max(1, math.ceil(end_s / bucket_s))


def choose_bucket(end_s: float, samples: int) -> float:
    """The bucket (scenario seconds) for a run of ``end_s`` seconds with ``samples`` requests."""
    if not math.isfinite(end_s) or end_s < 0:
        raise ValueError(f"run length must be a finite number of seconds >= 0, not {end_s!r}")
    if samples < 0:
        raise ValueError(f"sample count must not be negative, not {samples!r}")
    for step in NICE_BUCKETS_S:
        n = bucket_count(end_s, step)
        if samples >= MIN_MEAN_PER_BUCKET * n and n <= MAX_BUCKETS:
            return step
    return NICE_BUCKETS_S[-1]


def _percentile(values: FloatArray, q: float) -> float | None:
    return percentile(values, q) if len(values) >= MIN_PERCENTILE_SAMPLES else None


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def build_series(
    requests: Iterable[RequestRecord],
    calls: Iterable[CallRecord],
    events: Sequence[EventRecord],
    end_s: float,
    bucket_s: float | None = None,
) -> Series:
    reqs, cols = request_columns(requests), call_columns(calls)
    bucket = bucket_s or choose_bucket(end_s, len(reqs))
    n = bucket_count(end_s, bucket)

    def index(t: FloatArray) -> IntArray:
        return np.clip(np.floor_divide(t, bucket), 0, n - 1).astype(np.int64)

    def per_bucket(where: IntArray, rows: BoolArray) -> list[int]:
        return [int(x) for x in np.bincount(where[rows], minlength=n).tolist()]

    def groups(where: IntArray, values: FloatArray) -> list[FloatArray]:
        # each bucket's values, in record order: one stable sort, then a split
        order = np.argsort(where, kind="stable")
        return np.split(values[order], np.searchsorted(where[order], np.arange(1, n)))

    k = index(reqs.intended_s)
    timed = reqs.flags["timed"]  # sheds and connection errors are no latency sample
    lat = groups(k[timed], reqs.latency_s[timed])
    has_conf = reqs.known("confidence")
    conf = groups(k[has_conf], reqs.floats["confidence"][has_conf])
    sent = reqs.sent
    llm = sent & (reqs.attempts > 0)
    judged = reqs.known("correct")
    ok, failed, lost = reqs.outcome_is(OK), reqs.outcome_is(FAILED), reqs.outcome_is(LOST)
    fallback, degraded = reqs.flags["fallback"], reqs.flags["degraded"]
    # a fallback answer is also degraded in spirit; stack each request once
    outcomes = {
        "ok": per_bucket(k, ok & ~fallback & ~degraded),
        "fallback": per_bucket(k, ok & fallback),
        "degraded": per_bucket(k, ok & ~fallback & degraded),
        "failed": per_bucket(k, failed),
        "lost": per_bucket(k, lost),
    }
    ok_n, cache_n = per_bucket(k, ok), per_bucket(k, ok & reqs.flags["cache_hit"])
    llm_n, json_n = per_bucket(k, llm), per_bucket(k, llm & reqs.flags["json_error"])
    sent_n = per_bucket(k, sent)
    judged_n, correct_n = per_bucket(k, judged), per_bucket(k, reqs.truthy("correct"))
    kc = index(cols.t_s)
    providers = sorted(cols.providers)  # a code exists only for a provider some call named
    calls_by = {p: per_bucket(kc, cols.provider_is(p)) for p in providers}
    errors_by = {p: per_bucket(kc, cols.provider_is(p) & ~cols.result_in(("ok",))) for p in providers}
    total_calls = per_bucket(kc, np.ones(len(cols), dtype=np.bool_))
    breaker: dict[str, list[tuple[float, str]]] = {}
    for e in sorted((e for e in events if e.kind == "breaker"), key=lambda e: e.t_s):
        provider = str(e.detail.get("provider", "?"))
        breaker.setdefault(provider, []).append((e.t_s, str(e.detail.get("to_state", "?")).lower()))
    return Series(
        bucket_s=bucket,
        t_s=tuple(k * bucket for k in range(n)),
        latency={f"p{q}": tuple(_percentile(v, q) for v in lat) for q in (50, 95, 99)},
        outcomes={k: tuple(v) for k, v in outcomes.items()},
        calls={p: tuple(v) for p, v in calls_by.items()},
        errors={p: tuple(v) for p, v in errors_by.items()},
        cache_hit_rate=tuple(_ratio(cache_n[k], ok_n[k]) for k in range(n)),
        confidence_avg=tuple(sum(v.tolist()) / len(v) if len(v) else None for v in conf),
        json_error_rate=tuple(_ratio(json_n[k], llm_n[k]) for k in range(n)),
        amplification=tuple(_ratio(total_calls[k], sent_n[k]) for k in range(n)),
        breaker={p: tuple(v) for p, v in breaker.items()},
        correct_rate=tuple(_ratio(correct_n[k], judged_n[k]) for k in range(n)),
    )
