"""A rule's raw samples from a run's records: which records it counts, when each is observed, its value.

A provider call is observed when it ends (``t_s + latency_s``), a user request when it is answered
(``intended_s + latency_s``; at ``intended_s`` if it never was) — as a scraped metric would see them
(``observed_s`` of the columns); an event at its ``t_s``.  A p95/avg rule's samples are the raw values,
a rate/count rule's are 0/1.

Computed on the columns (``reports.columns``); records are turned into columns first.
Pure: records in, arrays out; no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from .columns import NONE_CODE, BoolArray, FloatArray, RequestColumns, call_columns, mask, request_columns
from .records import CallRecord, EventRecord, RequestRecord
from .rules import Rule

__all__ = ["rule_samples"]



def _event_value(ev: EventRecord, rule: Rule) -> float | None:
    """An event's number for an events rule: a bool as 0/1, a finite number as is, else not a sample
    (a gold probe that got no answer has ``correct: null``: it is not judged)."""
    v = ev.detail.get(rule.value or "")
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def _population(rule: Rule, r: RequestColumns) -> BoolArray:
    """The requests a rule counts: sent ones, narrowed by its population."""
    sent = r.sent
    if rule.population == "llm_attempted":
        return sent & (r.attempts > 0)
    if rule.population == "with_value":
        return sent & r.known(rule.value or "")
    if rule.population == "answered":
        return mask(sent & (r.status != NONE_CODE) & ~r.flags["shed"])
    return sent


def _sorted(t: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    order = np.argsort(t, kind="stable")
    return t[order], v[order]


def rule_samples(
    rule: Rule,
    requests: Iterable[RequestRecord],
    calls: Iterable[CallRecord],
    events: Sequence[EventRecord] = (),
) -> tuple[FloatArray, FloatArray]:
    """(observation times, values) sorted by time: the raw values for p95/avg, 0/1 for rate/count."""
    if rule.source == "events":
        pairs = [(e.t_s, s) for e in events if e.kind == rule.event_kind and (s := _event_value(e, rule)) is not None]
        return _sorted(np.asarray([t for t, _ in pairs], dtype=np.float64),
                       np.asarray([s for _, s in pairs], dtype=np.float64))
    if rule.source == "calls":
        c = call_columns(calls)
        if rule.aggregation in ("p95", "avg"):
            if rule.value not in (None, "latency_s", "t_s"):
                raise KeyError(f"call field {rule.value!r} is not a number")
            v = c.t_s if rule.value == "t_s" else c.latency_s
            return _sorted(c.observed_s, v.astype(np.float64))
        assert rule.match is not None
        hit = c.result_in(rule.match.results) | c.status_in(rule.match.statuses)
        return _sorted(c.observed_s, hit.astype(np.float64))
    r = request_columns(requests)
    keep = _population(rule, r)
    if rule.aggregation in ("p95", "avg"):
        v = r.values(rule.value or "")
        keep &= ~np.isnan(v)
    else:
        assert rule.match is not None
        v = r.truthy(rule.match.flag).astype(np.float64) if rule.match.flag else np.zeros(len(r))
    return _sorted(r.observed_s[keep], v[keep])
