"""The harness reports on itself: how late it sent, what it failed at, what its merge repaired.

A load generator that falls behind its schedule sends a burst later and measures a system that saw a
different load than the scenario said (the arrival process is the experiment).  Every report shows:

- send lag (actual send − intended send), in *wall-clock* seconds: p50, p99, max, and the share sent
  more than ``LATE_S`` (10 ms) late.  Lag is the harness's own delay, so it is measured before a live
  run's records are put on the scenario's time base: 10 ms late is 10 ms of this machine's time;
- a banner, ``overloaded``, when more than ``LATE_SHARE_LIMIT`` (1 %) of requests went out more than
  10 ms late or the p99 lag exceeds ``P99_LIMIT_S`` (50 ms): the run measured the harness too;
- harness errors (``RequestRecord.harness_error``: a client exception), counted apart from failures
  of the stack under test;
- the merge's counters and the run's measured fixed overhead, when ``run.json`` carries them
  (``merge``, ``overhead``); absent, the report says "not measured".

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .columns import NONE_CODE, RequestColumns, request_columns
from .percentile import percentile
from .records import RequestRecord

__all__ = [
    "LATE_S",
    "LATE_SHARE_LIMIT",
    "NOT_MEASURED",
    "P99_LIMIT_S",
    "HarnessSummary",
    "SendLag",
    "detail_lines",
    "harness_summary",
    "summary_line",
]

LATE_S = 0.010
LATE_SHARE_LIMIT = 0.01
P99_LIMIT_S = 0.050


@dataclass(frozen=True, slots=True)
class SendLag:
    sent: int
    p50_s: float | None
    p99_s: float | None
    max_s: float | None
    late: int  # sent more than LATE_S after the intended time
    late_share: float | None


@dataclass(frozen=True, slots=True)
class HarnessSummary:
    send_lag: SendLag
    overloaded: bool
    banner: str | None  # why the harness was overloaded, in a sentence
    harness_errors: int
    harness_error_kinds: tuple[tuple[str, int], ...]
    merge: tuple[tuple[str, Any], ...]  # () : not measured
    overhead: tuple[tuple[str, Any], ...]  # () : not measured


def _send_lag(requests: RequestColumns) -> SendLag:
    raw = requests.floats["sent_s"] - requests.intended_s
    lags = raw[~np.isnan(raw)]
    if not lags.size:
        return SendLag(0, None, None, None, 0, None)
    # a request sent a hair early (clock granularity) is on time, not negatively late
    lags = np.maximum(lags, 0.0)
    late = int(np.count_nonzero(lags > LATE_S))
    return SendLag(int(lags.size), percentile(lags, 50), percentile(lags, 99), float(lags.max()), late,
                   late / int(lags.size))


def _banner(lag: SendLag) -> str | None:
    reasons = []
    if lag.late_share is not None and lag.late_share > LATE_SHARE_LIMIT:
        reasons.append(
            f"{lag.late_share:.1%} of requests were sent more than {LATE_S * 1000:g} ms late "
            f"(limit {LATE_SHARE_LIMIT:.0%})"
        )
    if lag.p99_s is not None and lag.p99_s > P99_LIMIT_S:
        reasons.append(f"send lag p99 was {lag.p99_s * 1000:.1f} ms (limit {P99_LIMIT_S * 1000:g} ms)")
    if not reasons:
        return None
    return (
        "The harness itself was overloaded: "
        + "; ".join(reasons)
        + ". The stack saw a burstier load than the scenario's; treat latencies and rates with care."
    )


def _flat(raw: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    if not isinstance(raw, Mapping):
        return ()
    return tuple((str(k), v) for k, v in raw.items() if isinstance(v, int | float | str | bool) or v is None)


def harness_summary(
    wall_requests: Iterable[RequestRecord],
    merge: Mapping[str, Any] | None = None,
    overhead: Mapping[str, Any] | None = None,
) -> HarnessSummary:
    """The harness's own figures; ``wall_requests`` on the wall clock (before any rescaling)."""
    cols = request_columns(wall_requests)
    lag = _send_lag(cols)
    banner = _banner(lag)
    kinds: dict[str, int] = {}
    errors = cols.strings["error"][cols.flags["harness_error"]]
    for code, count in zip(*np.unique(errors, return_counts=True), strict=True):
        name = ("" if int(code) == NONE_CODE else cols.names["error"][int(code)]) or "?"
        kinds[name] = kinds.get(name, 0) + int(count)
    return HarnessSummary(
        send_lag=lag,
        overloaded=banner is not None,
        banner=banner,
        harness_errors=sum(kinds.values()),
        harness_error_kinds=tuple(sorted(kinds.items())),
        merge=_flat(merge or {}),
        overhead=_flat(overhead or {}),
    )


NOT_MEASURED = "not measured"


def _ms(x: float | None) -> str:
    return "—" if x is None else f"{x * 1000:.1f} ms"


def _show(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _pairs(items: tuple[tuple[str, Any], ...]) -> str:
    return ", ".join(f"{k} {_show(v)}" for k, v in items) if items else NOT_MEASURED


def send_lag_text(h: HarnessSummary) -> str:
    lag = h.send_lag
    if not lag.sent:
        return "send lag: no request was sent"
    share = "—" if lag.late_share is None else f"{lag.late_share:.2%}"
    return (
        f"send lag (wall clock): p50 {_ms(lag.p50_s)}, p99 {_ms(lag.p99_s)}, max {_ms(lag.max_s)}; "
        f"{share} sent more than {LATE_S * 1000:g} ms late ({lag.late} of {lag.sent})"
    )


def harness_errors_text(h: HarnessSummary) -> str:
    if not h.harness_errors:
        return "harness errors: none"
    kinds = ", ".join(f"{k} {n}" for k, n in h.harness_error_kinds)
    return f"harness errors: {h.harness_errors} ({kinds}), counted apart from the stack's failures"


def summary_line(h: HarnessSummary) -> str:
    """The CLI's one line about the harness."""
    flag = "OVERLOADED — " if h.overloaded else ""
    return f"harness: {flag}{send_lag_text(h)}; {harness_errors_text(h)}"


def detail_lines(h: HarnessSummary) -> list[str]:
    """Plain sentences for the Markdown and HTML reports, in that order."""
    return [
        send_lag_text(h),
        harness_errors_text(h),
        f"load merge: {_pairs(h.merge)}",
        f"measured fixed overhead: {_pairs(h.overhead)}",
    ]
