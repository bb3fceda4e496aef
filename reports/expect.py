"""Give a parsed expectation its meaning against a run: pass or fail, and what was observed.

Where records sit in time: a user request at its *intended* send time, a provider call at its start.
Windows: ``during [a, b]`` is ``[a, b]``, ``during fault i`` is the fault's ``[at, until]`` (until the
end if open), ``after t`` is ``[t, end]``, ``before t`` is ``[0, t)``.

Metrics (denominators of rates):

- ``p50/p90/p95/p99/max/avg(latency)`` user latency from the intended send time over the requests the
  gateway answered, failures included (a user waited for them), and client timeouts (a user waited
  the whole timeout); sheds (429) and connection errors are not latency samples
  (``RequestRecord.timed``).  ``llm_latency`` provider calls; ``agent`` ``agent_s``.
  Percentiles are exact (``reports.percentile``).  Each metric's arithmetic is its module of
  ``scenarios.expectations.metrics``, over the columns ``reports.expect_metrics.RunData`` supplies.
- ``rate(failed|ok|lost|shed)`` over sent requests (a shed is also failed);
  ``rate(fallback|degraded|cache_hit|conservation)`` over ok requests; ``rate(json_error)`` over sent
  requests that asked an LLM; ``rate(correct|validation_fp)`` over requests where it is known.
- ``count(...)`` requests; ``calls(p)`` provider attempts; ``upstream_amplification(p)`` calls / sent.
- ``ratio(a, b)``: count metrics (``count``, ``calls``) are divided by their window's length first, so
  ``ratio(calls after 6m, calls before 6m) <= 0.5`` compares call *rates* (LLM calls down >= 50 %).
- ``alert(r) fires within D of fault i``: the rule's detection of the fault (``reports.evaluate``: a
  firing at or after its start on evidence from after its start; an alert still firing from an earlier
  fault does not count) is at most D later; without ``of fault i``, the first fault (or, with no fault,
  the first firing after the run's start).
- ``alert(r) fires/never fires [window]``: a rule with no evaluable point in the window has "no data"
  (observed says so): ``fires`` fails, ``never fires`` passes but shows it was never judged.
- ``breaker(p) ...`` reads ``EventRecord(kind="breaker", detail={provider, to_state})``; a breaker
  without events is closed.
- ``recovery passes`` is the runbook's ``test_llm_recovery`` on the last severity window: LLM call
  latency p95 < 5 s, average confidence > 0.8, and ``requests_remaining`` > 50 in the last
  ``EventRecord(kind="limits")``.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scenarios.expectations import (
    AlertFires,
    AlertNeverFires,
    BreakerEnds,
    BreakerNeverOpens,
    BreakerOpens,
    Comparison,
    Expectation,
    ExpectationSyntaxError,
    Ratio,
    RecoveryPasses,
    format_expectation,
    metric_kind,
    parse_expectation,
)

from .evaluation import FIRED, RuleEvaluation
from .expect_metrics import (
    RunData,
    Undefined,
    metric_value,
    no_fault,
    per_second,
    show,
    span_of,
    values,
)
from .expect_rates import expectation_rates
from .percentile import percentile
from .severity import severity_rank

__all__ = [
    "RECOVERY",
    "ExpectationResult",
    "RunData",
    "asserted_rule",
    "check_expectation",
    "check_expectations",
    "expectation_rates",
]

#: The runbook's test_llm_recovery thresholds.
RECOVERY = {"latency_p95_s": 5.0, "confidence_avg": 0.8, "requests_remaining": 50}
_OPEN_STATES = frozenset({"open", "forced_open"})

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    name: str  # the expectation as written
    passed: bool
    observed: str
    detail: str = ""
    expected: str = ""  # the bound, for "observed vs expected" in JUnit
    rule: str | None = None  # the runbook rule it asserts, if any


def asserted_rule(exp: Expectation) -> str | None:
    return exp.rule if isinstance(exp, AlertFires | AlertNeverFires) else None


# --- checks ----------------------------------------------------------------------------------------


def _comparison(exp: Comparison, run: RunData) -> tuple[bool, str, str]:
    kind = metric_kind(exp.left)
    expected = f"{exp.op} {show(exp.value, kind)}"
    if isinstance(exp.left, Ratio):
        num, den = per_second(exp.left.numerator, run), per_second(exp.left.denominator, run)
        if den == 0:
            raise Undefined(f"the denominator is 0 (numerator {num:.4g})")
        value: float | str = num / den
        observed = f"{value:.4g} ({num:.4g} vs {den:.4g})"
    else:
        value = metric_value(exp.left, run)
        observed = show(value, kind)
    if isinstance(value, str) or isinstance(exp.value, str):
        passed = _OPS[exp.op](severity_rank(str(value)), severity_rank(str(exp.value)))
    else:
        passed = _OPS[exp.op](value, exp.value)
    return passed, observed, expected


def _anchor(fault: int | None, run: RunData) -> tuple[float, str]:
    if fault is None:
        if not run.info.faults:
            return 0.0, "the run's start"
        fault = min(f.index for f in run.info.faults)
    f = run.info.fault(fault)
    if f is None:
        raise Undefined(no_fault(fault, run))
    return f.at_s, f"fault {fault}"


def _alert(exp: AlertFires | AlertNeverFires, run: RunData) -> tuple[bool, str, str]:
    rule = run.evaluation.rule(exp.rule)
    if rule is None:
        known = [r.rule.id for r in run.evaluation.rules]
        near = difflib.get_close_matches(exp.rule, known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; known rules: {', '.join(known)}"
        raise Undefined(f"unknown rule {exp.rule!r}{hint}")
    first = rule.first_fired_s
    fired_text = f"first fired at {first:g}s" if first is not None else (
        "never fired" if rule.evaluable else "no data (never enough samples to judge)"
    )
    if isinstance(exp, AlertFires) and exp.within_s is not None:
        at, what, t = _detected(exp.fault, rule, run)
        expected = f"fires within {exp.within_s:g}s of {what}"
        if t is None:
            if not rule.evaluable_during(at, run.end_s):
                return False, f"no data after {what} ({at:g}s)", expected
            return False, f"not detected after {what} ({at:g}s) on evidence from after it", expected
        return t - at <= exp.within_s, f"fired {t - at:g}s after {what} (at {t:g}s)", expected
    if exp.window is not None:
        a, b = span_of(exp.window, run)
        status = rule.status_during(a, min(b, run.end_s))
        observed = f"{status} in [{a:g}s, {min(b, run.end_s):g}s]"
        return (
            (status == FIRED) == isinstance(exp, AlertFires),
            observed,
            ("fires" if isinstance(exp, AlertFires) else "never fires"),
        )
    if isinstance(exp, AlertFires):
        return rule.fired, fired_text, "fires"
    return not rule.fired, fired_text, "never fires"


def _detected(fault: int | None, rule: RuleEvaluation, run: RunData) -> tuple[float, str, float | None]:
    """(anchor, its name, when the rule detected it): a fault's own detection, else the first firing."""
    at, what = _anchor(fault, run)
    if fault is None and not run.info.faults:
        return at, what, rule.first_firing_at_or_after(at)
    index = fault if fault is not None else min(f.index for f in run.info.faults)
    detection = rule.detection(index)
    return at, what, None if detection is None else detection.detected_s


def _breaker_events(provider: str, run: RunData) -> list[tuple[float, str]]:
    out = [
        (e.t_s, str(e.detail.get("to_state", "")).lower())
        for e in run.events
        if e.kind == "breaker" and e.detail.get("provider") == provider
    ]
    return sorted(out, key=lambda x: x[0])


def _breaker(exp: BreakerOpens | BreakerNeverOpens | BreakerEnds, run: RunData) -> tuple[bool, str, str]:
    events = _breaker_events(exp.provider, run)
    opens = [t for t, s in events if s in _OPEN_STATES]
    if isinstance(exp, BreakerEnds):
        last = events[-1][1] if events else "closed"
        return last == exp.state, f"ends {last}", f"ends {exp.state}"
    if isinstance(exp, BreakerNeverOpens):
        return not opens, f"opened {len(opens)} time(s)" if opens else "never opened", "never opens"
    if exp.within_s is None:
        return bool(opens), f"first opened at {opens[0]:g}s" if opens else "never opened", "opens"
    at, what = _anchor(exp.fault, run)
    later = [t for t in opens if t >= at]
    expected = f"opens within {exp.within_s:g}s of {what}"
    if not later:
        return False, f"did not open after {what} ({at:g}s)", expected
    return later[0] - at <= exp.within_s, f"opened {later[0] - at:g}s after {what}", expected


def _recovery(run: RunData) -> tuple[bool, str, str]:
    span = (max(run.end_s - run.severity.window_s, 0.0), run.end_s)
    problems: list[str] = []
    seen: list[str] = []
    latencies = values("llm_latency", run, span)
    if latencies.size:
        p95 = percentile(latencies, 95)
        seen.append(f"llm p95 {p95:.3f}s")
        if not p95 < RECOVERY["latency_p95_s"]:
            problems.append(f"latency p95 {p95:.3f}s not < {RECOVERY['latency_p95_s']:g}s")
    else:
        problems.append("no LLM calls in the last window")
    conf = values("confidence", run, span).tolist()
    if conf:
        avg = sum(conf) / len(conf)
        seen.append(f"confidence {avg:.3f}")
        if not avg > RECOVERY["confidence_avg"]:
            problems.append(f"confidence {avg:.3f} not > {RECOVERY['confidence_avg']:g}")
    else:
        problems.append("no confidence values in the last window")
    limits = [e for e in run.events if e.kind == "limits"]
    if limits:
        last = max(limits, key=lambda e: e.t_s)
        remaining = last.detail.get("requests_remaining")
        seen.append(f"requests_remaining {remaining}")
        if not isinstance(remaining, int | float) or not remaining > RECOVERY["requests_remaining"]:
            problems.append(f"requests_remaining {remaining} not > {RECOVERY['requests_remaining']}")
    else:
        problems.append('no EventRecord(kind="limits") recorded')
    expected = "llm p95 < 5s, confidence > 0.8, requests_remaining > 50 in the last window"
    return not problems, "; ".join(seen + problems) or "no data", expected


def check_expectation(exp: Expectation | str, run: RunData) -> ExpectationResult:
    """Never raises for bad input: a syntax error or an undefined metric is a failed result."""
    if isinstance(exp, str):
        name = exp
        try:
            exp = parse_expectation(exp)
        except ExpectationSyntaxError as err:
            return ExpectationResult(name, False, "syntax error", f"{err.message} (column {err.column})")
    else:
        name = format_expectation(exp)
    try:
        match exp:
            case Comparison():
                passed, observed, expected = _comparison(exp, run)
            case AlertFires() | AlertNeverFires():
                passed, observed, expected = _alert(exp, run)
            case BreakerOpens() | BreakerNeverOpens() | BreakerEnds():
                passed, observed, expected = _breaker(exp, run)
            case RecoveryPasses():
                passed, observed, expected = _recovery(run)
            case _:
                raise TypeError(f"not an expectation: {exp!r}")
    except Undefined as why:
        return ExpectationResult(name, False, "undefined", str(why), rule=asserted_rule(exp))
    detail = f"observed {observed}, expected {expected}"
    return ExpectationResult(name, passed, observed, detail, expected, asserted_rule(exp))


def check_expectations(texts: Sequence[str], run: RunData) -> tuple[ExpectationResult, ...]:
    return tuple(check_expectation(t, run) for t in texts)
