"""``promtool test rules`` files from a run: the run's scraped series in, the harness's alerts expected.

The input series are the gateway's ``/metrics`` as scraped during the run (``reports.scrapes``), on the
scenario's time base and on the scrape grid (``interval``); a failed scrape is a missing sample (``_``).
The expected alerts are what the harness's evaluator (``reports.evaluate``) found at the same times, so
``promtool test rules`` passing shows that Prometheus, running the exported rules
(``reports.export_prometheus``) over what the gateway exposed, agrees with the harness on the incident.

They read the incident through different instruments — exact records against scraped counters and
histogram buckets — so a check is made only where the two *can* agree; everything else is left out and
the file says why (its comments):

- a rule with no PromQL mapping, one whose metric is another quantity (``PromQuery.incomparable``), or a
  percentile rule whose threshold is not one of the histogram's bucket
  bounds on the scenario's time base (``histogram_quantile`` cannot say on which side of it the p95 is);
- an evaluation time within ``margin`` of a change in the harness's verdict or threshold (a scrape
  interval decides which side Prometheus sees), whose value or sample count is within ``closeness`` of the
  threshold or of ``min_samples``, whose window holds a failed scrape, or in whose window a series the
  rule reads first appeared (Prometheus loses the increments made before a series' first scrape; our
  gateway creates every child a rule reads at zero, but a gateway under ``--target`` may not).

The input series themselves are ``reports.promtool_series``.
Pure: evaluation and scrapes in, a YAML document out; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from .evaluate import Evaluation, RuleEvaluation, RulePoint
from .export_prometheus import PROM_QUERIES, AlertRule, PromQuery, duration, runbook_group
from .promtool_series import SeriesGrid, grid_interval, input_series
from .rules import Rule
from .scrapes import Scrape

__all__ = ["BORN_IN_WINDOW", "CLOSENESS", "AlertChecks", "PromtoolTests", "build_promtool_tests", "grid_interval"]

#: relative distance to a threshold (absolute 2 for counts) under which a point is too close to call
CLOSENESS = 0.10


@dataclass(frozen=True, slots=True)
class AlertChecks:
    rule_id: str
    alertname: str
    checked: tuple[tuple[float, bool], ...] = ()  # (eval time, expected firing)
    skipped_rule: str | None = None  # why the whole alert is not checked
    skipped_points: dict[str, int] = field(default_factory=dict)  # reason -> how many eval times


@dataclass(frozen=True, slots=True)
class PromtoolTests:
    document: dict[str, object]
    alerts: tuple[AlertChecks, ...]
    interval_s: float
    series: int

    def render(self, header: str = "") -> str:
        lines = [*header.rstrip("\n").splitlines(), ""] if header else []
        lines.append(f"Interval {duration(self.interval_s)} (scenario seconds); {self.series} input series.")
        lines.append("Untested groups of the rule file (no harness counterpart): llmdrill-degradation, llmdrill-slo.")
        for a in self.alerts:
            if a.skipped_rule:
                lines.append(f"{a.alertname} ({a.rule_id}): not checked: {a.skipped_rule}")
                continue
            fired = sum(1 for _, f in a.checked if f)
            text = f"{a.alertname} ({a.rule_id}): {len(a.checked)} eval times checked ({fired} firing)"
            if a.skipped_points:
                text += "; left out: " + ", ".join(f"{n} {why}" for why, n in sorted(a.skipped_points.items()))
            lines.append(text)
        comment = "".join(f"# {line}".rstrip() + "\n" for line in lines)
        body = yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True, width=1_000_000)
        return comment + body


def _bucket_bounds(scrapes: Sequence[Scrape], bucket: str) -> set[float]:
    name, _, selector = bucket.partition("{")
    want = dict(part.split("=", 1) for part in selector.rstrip("}").split(",")) if selector else {}
    want = {k: v.strip('"') for k, v in want.items()}
    out: set[float] = set()
    for s in scrapes:
        for x in s.samples:
            if x.name == name + "_bucket" and all(x.labels.get(k) == v for k, v in want.items()):
                le = x.labels.get("le", "")
                if le not in ("+Inf", "Inf", ""):
                    out.add(float(le))
    return out


def _rule_skip(rule: Rule, ev: RuleEvaluation, scrapes: Sequence[Scrape]) -> str | None:
    q = PROM_QUERIES.get(rule.id)
    if q is None:
        return "no PromQL mapping for this rule"
    if q.incomparable:
        return q.incomparable
    if q.kind == "quantile":
        bounds = _bucket_bounds(scrapes, q.series)
        thresholds = {p.threshold for p in ev.points} or {rule.threshold}
        off = [t for t in sorted(thresholds) if not any(math.isclose(t, b, rel_tol=1e-9) for b in bounds)]
        if off:
            shown = ", ".join(f"{b:g}" for b in sorted(bounds)) or "none scraped"
            return (f"threshold {', '.join(f'{t:g}' for t in off)} s is not a bucket bound of {q.series} on the "
                    f"scenario's time base (bounds: {shown}): histogram_quantile interpolates inside the bucket "
                    "and the exact p95 of the harness can fall on either side")
    return None


def _too_close(rule: Rule, p: RulePoint) -> str | None:
    if p.value is not None and math.isfinite(p.value):
        if rule.aggregation == "count":
            if abs(p.value - p.threshold) <= max(2.0, CLOSENESS * p.threshold):
                return "value near the threshold"
        elif abs(p.value - p.threshold) <= CLOSENESS * abs(p.threshold):
            return "value near the threshold"
    if rule.min_samples > 0 and rule.aggregation != "count" and \
            abs(p.samples - rule.min_samples) <= max(2, math.ceil(0.25 * rule.min_samples)):
        return "sample count near min_samples"
    return None


def _metric_names(q: PromQuery) -> set[str]:
    """The sample names a query reads (``name{sel}`` -> ``name``, histograms by their series)."""
    def base(selector: str) -> str:
        return selector.partition("{")[0]

    names = {base(x) for x in (q.numerator, q.denominator, q.denominator_less, q.samples) if x}
    if q.kind == "quantile":
        names |= {base(q.series) + "_bucket", base(q.series) + "_count"}
    elif q.kind == "mean":
        names |= {base(q.series) + "_sum", base(q.series) + "_count"}
    elif q.series:
        names.add(base(q.series))
    return names


#: why a window in which a series was born is left out
BORN_IN_WINDOW = "a series it reads first appeared in the window"


def _checks(rule: Rule, ev: RuleEvaluation, interval: float, grid: SeriesGrid, margin: float,
            every: float, last_t: float) -> tuple[list[tuple[float, bool]], dict[str, int]]:
    failed = grid.failed
    q = PROM_QUERIES[rule.id]
    births = sorted(k for name in _metric_names(q) for k in grid.births.get(name, ()))
    points = ev.points
    checked: list[tuple[float, bool]] = []
    skipped: dict[str, int] = {}
    next_t = every
    for i, p in enumerate(points):
        if p.t_s + 1e-9 < next_t:
            continue
        k = p.t_s / interval
        if abs(k - round(k)) > 1e-6:
            continue   # not on the scrape grid
        next_t = p.t_s + every
        reason: str | None = None
        if p.t_s > last_t:
            reason = "past the last scrape"
        elif any(abs(q.t_s - p.t_s) <= margin and (q.firing != p.firing or q.threshold != p.threshold)
                 for q in points[max(0, i - 100): i + 100]):
            reason = "near a change of the harness's verdict"
        else:
            lo = max(0, math.floor((p.t_s - rule.window_s) / interval))
            if any(failed[lo: round(k) + 1]):
                reason = "a failed scrape in the window"
            elif any(lo <= b <= round(k) for b in births):
                # rate() and increase() start a series at its first sample: the increments that happened
                # before it was first scraped are lost to Prometheus, not to the harness
                reason = BORN_IN_WINDOW
            else:
                reason = _too_close(rule, p)
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
        else:
            checked.append((p.t_s, p.firing))
    return checked, skipped


def build_promtool_tests(
    evaluation: Evaluation,
    scrapes: Sequence[Scrape],
    *,
    rule_file: str,
    name: str,
    degraded_always: bool = False,
    interval_s: float | None = None,
    every_s: float = 30.0,
) -> PromtoolTests:
    """A ``promtool test rules`` document for one run.

    ``scrapes`` must be on the scenario's time base (``reports.scrapes.to_scenario_time``).  One eval time
    is checked per ``every_s`` scenario seconds and alert.
    """
    if not scrapes:
        raise ValueError("no scrapes: the run has no metrics to test the rules on")
    if all(s.error is not None for s in scrapes):
        raise ValueError(f"every one of the run's {len(scrapes)} scrapes failed (the first: {scrapes[0].error})")
    interval = interval_s if interval_s is not None else grid_interval(scrapes)
    steps = max(1, math.floor(evaluation.end_s / interval + 1e-9))
    grid = input_series(scrapes, interval, steps)
    last_ok = max((k for k in range(steps + 1) if not grid.failed[k]), default=0)
    margin = 2 * interval
    every = max(interval, math.ceil(every_s / interval - 1e-9) * interval)
    rules = tuple(r.rule for r in evaluation.rules)
    alerts_by_name = {r.name: r for r in runbook_group(rules, degraded_always).rules if not r.record}
    checks: list[AlertChecks] = []
    tests: list[dict[str, object]] = []
    for ev in evaluation.rules:
        rule = ev.rule
        q = PROM_QUERIES.get(rule.id)
        alertname = q.alert if q is not None else rule.id
        why = _rule_skip(rule, ev, scrapes)
        if why is not None:
            checks.append(AlertChecks(rule.id, alertname, skipped_rule=why))
            continue
        checked, skipped = _checks(rule, ev, interval, grid, margin, every, last_ok * interval)
        checks.append(AlertChecks(rule.id, alertname, tuple(checked), skipped_points=skipped))
        alert = alerts_by_name[alertname]
        for t, firing in checked:
            tests.append({"eval_time": duration(t) if t > 0 else "0s", "alertname": alertname,
                          "exp_alerts": [_expected(alert)] if firing else []})
    tests.sort(key=lambda t: (_seconds_of(str(t["eval_time"])), str(t["alertname"])))
    document: dict[str, object] = {
        "rule_files": [rule_file],
        "evaluation_interval": duration(interval),
        "tests": [{"name": name, "interval": duration(interval), "input_series": grid.series,
                   "alert_rule_test": tests}],
    }
    return PromtoolTests(document, tuple(checks), interval, len(grid.series))


def _expected(alert: AlertRule) -> dict[str, object]:
    return {"exp_labels": dict(alert.labels), "exp_annotations": dict(alert.annotations)}


def _seconds_of(d: str) -> float:
    for unit, size in (("ms", 0.001), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if d.endswith(unit) and d[: -len(unit)].isdigit():
            return int(d[: -len(unit)]) * size
    return 0.0
