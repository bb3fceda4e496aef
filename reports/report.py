"""The report of one run, as a frozen model: what the writers render, computed once.

``build_report`` puts a live run's records on the scenario's time base first (wall-clock seconds
divided by ``time_scale``; every duration scales together, latencies included), so that rule
windows, thresholds and expectation times mean what the scenario file says.

Latency percentiles are over ``RequestRecord.timed`` requests: answered by the gateway, or given up
on at the client timeout.  Sheds (the gateway's 429) are counted apart (``shed``) and are no latency
sample; harness errors (the client failed, not the stack) are counted apart too (``harness_errors``,
also inside ``failed``) and left out of severity.  The harness's own figures (send lag, overload
banner, merge counters, overhead) are in ``Report.harness`` (``reports.harness``).

Correctness against gold (``reports.correctness``) is a headline figure.  Severity reads
``severity_reading`` (the run's, unless the caller names one): by default a wrong answer counts as a
failed request; ``Report.severity_other`` is the other reading, shown beside it.

Request accounting: ``sent`` counts records with ``sent_s``; ``succeeded``/``failed``/``lost`` count
*sent* records by outcome, so conservation ``sent == succeeded + failed + lost`` holds exactly when
every sent request has one known outcome.  A record never sent is ``unsent`` (the schedule meant it,
the run never got to it); an unsent record with outcome ``lost`` also counts in ``lost_total``.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scenarios.expectations import ExpectationSyntaxError, parse_expectation

from .correctness import Correctness, correctness
from .evaluate import Evaluation, evaluate, percentile
from .expect import ExpectationResult, RunData, asserted_rule, check_expectation, expectation_rates
from .harness import HarnessSummary, harness_summary
from .modes import mode_event_problems
from .notes import rule_note
from .records import FAILED, LOST, OK, CallRecord, EventRecord, RequestRecord
from .rules import apply_overrides
from .runinfo import RunInfo
from .series import Series, build_series
from .severity import (
    WRONG_ANSWERS,
    SeverityTimeline,
    check_reading,
    other_reading,
    severity_timeline,
)

__all__ = [
    "AlertSummary",
    "Amplification",
    "Conservation",
    "LatencySummary",
    "Report",
    "RequestCounts",
    "build_report",
    "rescale",
]


@dataclass(frozen=True, slots=True)
class RequestCounts:
    total: int
    sent: int
    succeeded: int
    failed: int
    lost: int  # sent and never resolved
    lost_total: int  # every record with outcome lost, sent or not
    unsent: int
    fallback: int
    degraded: int
    cache_hits: int
    shed: int = 0  # the gateway refused them (429); also in failed
    harness_errors: int = 0  # the client failed, not the stack; also in failed


@dataclass(frozen=True, slots=True)
class LatencySummary:
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    samples: int = 0  # timed requests (answered, or given up on at the client timeout)


@dataclass(frozen=True, slots=True)
class AlertSummary:
    rule: str
    metric: str
    severity: str
    condition: str
    window_s: float
    fired: bool
    status: str  # "fired" | "did not fire" | "no data"
    note: str  # why, where the bare verdict would mislead ("" otherwise)
    first_fired_s: float | None
    intervals: tuple[tuple[float, float], ...]
    time_to_detect_s: tuple[tuple[int, float | None], ...]  # (fault index, seconds or None)
    asserted: bool  # some expectation names this rule
    origin: str = "runbook"  # "runbook": one of its ten; "addition": the harness's proposal (issue 13)


@dataclass(frozen=True, slots=True)
class Conservation:
    holds: bool
    sent: int
    accounted: int
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Amplification:
    total: float | None
    by_provider: tuple[tuple[str, float | None], ...]
    over_time: tuple[tuple[float, float | None], ...]


@dataclass(frozen=True, slots=True)
class Report:
    info: RunInfo
    end_s: float
    passed: bool
    requests: RequestCounts
    latency: LatencySummary
    alerts: tuple[AlertSummary, ...]
    severity: SeverityTimeline
    expectations: tuple[ExpectationResult, ...]
    amplification: Amplification
    conservation: Conservation
    evaluation: Evaluation
    series: Series
    harness: HarnessSummary
    data_problems: tuple[str, ...] = ()
    correctness: Correctness | None = None
    severity_other: SeverityTimeline | None = None  # the other reading of "failed" (``severity.reading``)
    # every rate the expectations name, as written ("rate(correct) after 2m") -> value (None: undefined)
    rates: tuple[tuple[str, float | None], ...] = ()
    # a real Prometheus's alerts beside the harness's (prometheus-compare.json of ``run --prometheus``,
    # ``reports.promcompare``); None when the run had none
    prometheus: Mapping[str, Any] | None = None

    @property
    def failed_expectations(self) -> tuple[ExpectationResult, ...]:
        return tuple(e for e in self.expectations if not e.passed)


def rescale(
    scale: float,
    requests: Sequence[RequestRecord],
    calls: Sequence[CallRecord],
    events: Sequence[EventRecord],
) -> tuple[list[RequestRecord], list[CallRecord], list[EventRecord]]:
    """Divide every time and duration by ``scale`` (wall-clock seconds -> scenario seconds)."""

    def s(x: float | None) -> float | None:
        return None if x is None else x / scale

    reqs = [
        replace(
            r,
            intended_s=r.intended_s / scale,
            sent_s=s(r.sent_s),
            latency_s=s(r.latency_s),
            agent_s=s(r.agent_s),
        )
        for r in requests
    ]
    cls = [replace(c, t_s=c.t_s / scale, latency_s=c.latency_s / scale) for c in calls]
    evs = [replace(e, t_s=e.t_s / scale) for e in events]
    return reqs, cls, evs


def _counts(requests: Sequence[RequestRecord]) -> tuple[RequestCounts, Conservation]:
    sent = [r for r in requests if r.sent_s is not None]
    by = {k: sum(r.outcome == k for r in sent) for k in (OK, FAILED, LOST)}
    ok = [r for r in sent if r.outcome == OK]
    counts = RequestCounts(
        total=len(requests),
        sent=len(sent),
        succeeded=by[OK],
        failed=by[FAILED],
        lost=by[LOST],
        lost_total=sum(r.outcome == LOST for r in requests),
        unsent=len(requests) - len(sent),
        fallback=sum(r.fallback for r in ok),
        degraded=sum(r.degraded for r in ok),
        cache_hits=sum(r.cache_hit for r in ok),
        shed=sum(r.shed for r in sent),
        harness_errors=sum(r.harness_error for r in sent),
    )
    problems = []
    accounted = by[OK] + by[FAILED] + by[LOST]
    unknown = sorted({r.outcome for r in requests} - {OK, FAILED, LOST})
    if unknown:
        problems.append(
            f"{sum(r.outcome in unknown for r in requests)} record(s) with unknown outcome "
            f"{', '.join(map(repr, unknown))}"
        )
    answered_unsent = sum(r.sent_s is None and r.outcome in (OK, FAILED) for r in requests)
    if answered_unsent:
        problems.append(f"{answered_unsent} record(s) answered but never sent (sent_s is null)")
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} duplicate request id(s)")
    if accounted != len(sent):
        problems.append(f"sent {len(sent)} != succeeded + failed + lost {accounted}")
    return counts, Conservation(not problems, len(sent), accounted, tuple(problems))


def _latency(requests: Sequence[RequestRecord]) -> LatencySummary:
    values = [r.latency_s for r in requests if r.timed and r.latency_s is not None]
    if not values:
        return LatencySummary(None, None, None, None)
    return LatencySummary(
        percentile(values, 50), percentile(values, 95), percentile(values, 99), max(values), len(values)
    )


def _amplification(
    requests: Sequence[RequestRecord], calls: Sequence[CallRecord], series: Series
) -> Amplification:
    sent = sum(r.sent_s is not None for r in requests)
    providers = sorted({c.provider for c in calls})
    total = len(calls) / sent if sent else None
    by = tuple((p, sum(c.provider == p for c in calls) / sent if sent else None) for p in providers)
    return Amplification(total, by, tuple(zip(series.t_s, series.amplification, strict=True)))


def _asserted_rules(texts: Sequence[str]) -> set[str]:
    out = set()
    for text in texts:
        try:
            rule = asserted_rule(parse_expectation(text))
        except ExpectationSyntaxError:
            continue
        if rule is not None:
            out.add(rule)
    return out


def build_report(
    run_info: RunInfo,
    requests: Sequence[RequestRecord],
    calls: Sequence[CallRecord],
    events: Sequence[EventRecord],
    data_problems: Sequence[str] = (),
    severity_window_s: float = 60.0,
    severity_min_requests: int | None = None,
    severity_reading: str | None = None,
    prompts: Mapping[str, str] | None = None,
) -> Report:
    """Evaluate the runbook's rules, severity and the scenario's expectations over one run.

    ``severity_reading`` overrides the run's (``RunInfo.severity_reading``); ``prompts`` (prompt id ->
    text) lets the wrong-answer examples show what the user asked.
    """
    reading = check_reading(severity_reading or run_info.severity_reading or WRONG_ANSWERS)
    # None: the run's setting (``RunInfo.severity_min_requests``, DEFAULT_MIN_REQUESTS unless changed)
    min_requests = run_info.severity_min_requests if severity_min_requests is None else severity_min_requests
    # the harness's lag is this machine's delay: measured on the wall clock, before any rescaling
    harness = harness_summary(requests, run_info.merge, run_info.overhead)
    if run_info.mode == "live" and run_info.time_scale != 1.0:
        requests, calls, events = rescale(run_info.time_scale, requests, calls, events)
    rules = apply_overrides(run_info.rules)
    last = max(
        [r.intended_s + (r.latency_s or 0.0) for r in requests]
        + [c.t_s + c.latency_s for c in calls]
        + [e.t_s for e in events],
        default=0.0,
    )
    end_s = run_info.duration_s if run_info.duration_s is not None else last
    evaluation = evaluate(
        requests, calls, events, run_info.faults, end_s, rules, degradation_mode=run_info.degradation_mode
    )
    severity, other = (
        _severity(requests, end_s, evaluation, severity_window_s, min_requests, r)
        for r in (reading, other_reading(reading))
    )
    run = RunData(run_info, requests, calls, events, evaluation, severity, end_s)
    results = tuple(check_expectation(text, run) for text in run_info.expectations)
    counts, conservation = _counts(requests)
    series = build_series(requests, calls, events, end_s)
    asserted = _asserted_rules(run_info.expectations)
    alerts = tuple(
        AlertSummary(
            rule=r.rule.id,
            metric=r.rule.metric,
            severity=r.rule.severity,
            condition=r.rule.condition,
            window_s=r.rule.window_s,
            fired=r.fired,
            status=r.status,
            note=rule_note(r, events),
            first_fired_s=r.first_fired_s,
            intervals=r.intervals,
            time_to_detect_s=tuple((d.fault, d.time_to_detect_s) for d in r.detections),
            asserted=r.rule.id in asserted,
            origin=r.rule.origin,
        )
        for r in evaluation.rules
    )
    return Report(
        info=run_info,
        end_s=end_s,
        passed=all(e.passed for e in results) and conservation.holds,
        requests=counts,
        latency=_latency(requests),
        alerts=alerts,
        severity=severity,
        expectations=results,
        amplification=_amplification(requests, calls, series),
        conservation=conservation,
        evaluation=evaluation,
        series=series,
        harness=harness,
        data_problems=tuple(data_problems) + mode_event_problems(events),
        correctness=correctness(run_info, requests, events, end_s, prompts),
        severity_other=other,
        rates=expectation_rates(run_info.expectations, run),
    )


def _severity(
    requests: Sequence[RequestRecord],
    end_s: float,
    evaluation: Evaluation,
    window_s: float,
    min_requests: int,
    reading: str,
) -> SeverityTimeline:
    # P4 by the runbook's letter is "some runbook alert": the added gold-probe rule counts only when
    # wrong answers do
    firing = evaluation.firing_during if reading == WRONG_ANSWERS else evaluation.runbook_firing_during
    return severity_timeline(requests, end_s, firing, window_s, min_requests, reading)
