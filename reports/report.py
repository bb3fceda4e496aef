"""Building the report of one run from its records (the model it fills is ``reports.report_model``,
re-exported here).

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

Every figure is computed on the run's columns (``reports.columns``), not on record objects, so a day
of twin traffic (4.3 M requests) fits in memory; records passed in are turned into columns once.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from scenarios.expectations import ExpectationSyntaxError, parse_expectation

from .columns import CallColumns, RequestColumns, call_columns, request_columns
from .correctness import correctness
from .evaluate import Evaluation, evaluate
from .expect import RunData, asserted_rule, check_expectation, expectation_rates
from .harness import harness_summary
from .modes import mode_event_problems
from .notes import rule_note
from .percentile import percentile
from .records import FAILED, LOST, OK, CallRecord, EventRecord, RequestRecord
from .report_model import AlertSummary, Amplification, Conservation, LatencySummary, Report, RequestCounts
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


def rescale(
    scale: float,
    requests: Iterable[RequestRecord],
    calls: Iterable[CallRecord],
    events: Sequence[EventRecord],
) -> tuple[RequestColumns, CallColumns, list[EventRecord]]:
    """Divide every time and duration by ``scale`` (wall-clock seconds -> scenario seconds)."""
    evs = [replace(e, t_s=e.t_s / scale) for e in events]
    return request_columns(requests).scaled(scale), call_columns(calls).scaled(scale), evs


def _counts(requests: RequestColumns) -> tuple[RequestCounts, Conservation]:
    sent = requests.sent
    ok, failed, lost = (requests.outcome_is(k) for k in (OK, FAILED, LOST))
    flags = requests.flags

    def n(rows: npt.NDArray[np.bool_]) -> int:
        return int(np.count_nonzero(rows))

    by = {OK: n(sent & ok), FAILED: n(sent & failed), LOST: n(sent & lost)}
    counts = RequestCounts(
        total=len(requests),
        sent=n(sent),
        succeeded=by[OK],
        failed=by[FAILED],
        lost=by[LOST],
        lost_total=n(lost),
        unsent=len(requests) - n(sent),
        fallback=n(sent & ok & flags["fallback"]),
        degraded=n(sent & ok & flags["degraded"]),
        cache_hits=n(sent & ok & flags["cache_hit"]),
        shed=n(sent & flags["shed"]),
        harness_errors=n(sent & flags["harness_error"]),
    )
    problems = []
    accounted = by[OK] + by[FAILED] + by[LOST]
    unknown = sorted(set(requests.names["outcome"]) - {OK, FAILED, LOST})
    if unknown:
        problems.append(
            f"{n(~(ok | failed | lost))} record(s) with unknown outcome {', '.join(map(repr, unknown))}"
        )
    answered_unsent = n(~sent & (ok | failed))
    if answered_unsent:
        problems.append(f"{answered_unsent} record(s) answered but never sent (sent_s is null)")
    distinct = int(np.unique(requests.id).size)
    if distinct != len(requests):
        problems.append(f"{len(requests) - distinct} duplicate request id(s)")
    if accounted != counts.sent:
        problems.append(f"sent {counts.sent} != succeeded + failed + lost {accounted}")
    return counts, Conservation(not problems, counts.sent, accounted, tuple(problems))


def _latency(requests: RequestColumns) -> LatencySummary:
    values = requests.latency_s[requests.flags["timed"]]
    if not values.size:
        return LatencySummary(None, None, None, None)
    return LatencySummary(
        percentile(values, 50), percentile(values, 95), percentile(values, 99), float(values.max()), int(values.size)
    )


def _amplification(requests: RequestColumns, calls: CallColumns, series: Series) -> Amplification:
    sent = int(np.count_nonzero(requests.sent))
    providers = sorted(calls.providers)
    total = len(calls) / sent if sent else None
    by = tuple(
        (p, int(np.count_nonzero(calls.provider_is(p))) / sent if sent else None) for p in providers
    )
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
    requests: Iterable[RequestRecord],
    calls: Iterable[CallRecord],
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
    # every figure below reads columns: a run read from disk already is (``reports.io``)
    requests, calls = request_columns(requests), call_columns(calls)
    # None: the run's setting (``RunInfo.severity_min_requests``, DEFAULT_MIN_REQUESTS unless changed)
    min_requests = run_info.severity_min_requests if severity_min_requests is None else severity_min_requests
    # the harness's lag is this machine's delay: measured on the wall clock, before any rescaling
    harness = harness_summary(requests, run_info.merge, run_info.overhead)
    if run_info.mode == "live" and run_info.time_scale != 1.0:
        requests, calls, events = rescale(run_info.time_scale, requests, calls, events)
    rules = apply_overrides(run_info.rules)
    last = max([requests.last_s(), calls.last_s()] + [e.t_s for e in events])
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
    requests: RequestColumns,
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
