"""The runbook's rules as Prometheus alerting rules over the gateway's metric names.

``reports.rules`` holds the rules as data, ``reports.prom_queries`` how each reads the series that
``gateway/service/metrics.py`` exports (``PROM_QUERIES``, re-exported here); this module fills one
rule file (``reports.prom_rule_file``, whose names are re-exported here too):

- group ``llmdrill-runbook``: a recording rule per rule's value and sample count, then the runbook's
  ten alerts.  A rule with a degradation-mode threshold compares against it while the gateway's
  ``llm_degraded_mode`` gauge is 1, against its normal threshold otherwise.  ``min_samples`` becomes a
  guard on the window's sample count, as in the harness's evaluator.  No ``for:``: the harness fires as
  soon as a window breaches, and so do these.
- group ``llmdrill-degradation``: the runbook's error-rate threshold (5 %, 10 % in degradation mode),
  which has no rule of its own among the ten.
- group ``llmdrill-slo``: multi-window, multi-burn-rate alerts on the gateway's user-facing answers
  (SRE workbook: page at 14.4x over 1 h and 5 m or 6x over 6 h and 30 m; ticket at 1x over 3 d and 6 h).

Thresholds and windows are in the scenario's (the real incident's) units: a compressed run's series
are put on that time base before Prometheus reads them (``reports.export_promtool``).
Pure: rules in, text out; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from .prom_queries import CALLS, PROM_QUERIES, PromQuery
from .prom_rule_file import AlertRule, RuleGroup, render_rule_file
from .rules import ALL_RULES, Rule

__all__ = [
    "DEGRADED_RECORD",
    "PROM_QUERIES",
    "SLO_WINDOWS",
    "AlertRule",
    "PromQuery",
    "RuleGroup",
    "alert_name",
    "compress",
    "duration",
    "render_rule_file",
    "rule_groups",
    "runbook_group",
]

#: 1 while the gateway is in degradation mode, 0 otherwise (also when the gauge is not scraped)
DEGRADED_RECORD = "llmdrill:degraded_mode"


_QUANTILES = {"p95": 0.95}


def duration(seconds: float) -> str:
    """A Prometheus duration: ``300`` -> ``5m``, ``90`` -> ``90s``, ``0.5`` -> ``500ms``."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a Prometheus duration must be a positive number of seconds, not {seconds!r}")
    ms = round(seconds * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def alert_name(rule: Rule) -> str:
    known = PROM_QUERIES.get(rule.id)
    return known.alert if known is not None else "Llmdrill" + "".join(
        part.capitalize() for part in rule.id.replace(".", "_").split("_"))


def _selector(series: str, suffix: str) -> str:
    """``name{sel}`` + ``_bucket`` -> ``name_bucket{sel}``."""
    name, brace, rest = series.partition("{")
    return f"{name}{suffix}{brace}{rest}"


def _value_expr(rule: Rule, q: PromQuery, w: str) -> str:
    if q.kind == "quantile":
        if rule.aggregation not in _QUANTILES:
            raise ValueError(f"rule {rule.id}: a quantile query needs a percentile aggregation, not "
                             f"{rule.aggregation!r}")
        bucket = _selector(q.series, "_bucket")
        return f"histogram_quantile({_QUANTILES[rule.aggregation]}, sum by (le) (rate({bucket}[{w}])))"
    if q.kind == "mean":
        return f"sum(rate({_selector(q.series, '_sum')}[{w}])) / sum(rate({_selector(q.series, '_count')}[{w}]))"
    if q.kind == "increase":
        return f"sum(increase({q.series}[{w}]))"
    if q.kind == "gauge":
        return f"min({q.series})"
    denominator = f"sum(rate({q.denominator}[{w}]))"
    if q.denominator_less:
        # ``or vector(0)``: a counter child that never moved (no cache hit yet) is no series at all, and
        # a difference with an empty vector would be empty: the alert would vanish instead of firing
        denominator = f"({denominator} - (sum(rate({q.denominator_less}[{w}])) or vector(0)))"
    return f"sum(rate({q.numerator}[{w}])) / {denominator}"


def _record_name(rule: Rule, what: str, w: str) -> str:
    return f"llmdrill:{rule.id.replace('.', '_')}:{what}{w}"


def _threshold(x: float) -> str:
    return f"{x:g}"


def _alert_for(rule: Rule, q: PromQuery, degraded_always: bool) -> tuple[AlertRule, ...]:
    w = duration(rule.window_s)
    value = _record_name(rule, "value", w)
    recs = [AlertRule(value, _value_expr(rule, q, w), record=True)]
    op = rule.comparison
    normal = f"{value} {op} {_threshold(rule.threshold)}"
    relaxed = rule.degraded_threshold
    if degraded_always and relaxed is not None:
        cond = f"{value} {op} {_threshold(relaxed)}"
    elif relaxed is not None:
        cond = (f"({normal} unless on() ({DEGRADED_RECORD} == 1))\n"
                f"or\n({value} {op} {_threshold(relaxed)} and on() ({DEGRADED_RECORD} == 1))")
    else:
        cond = normal
    if rule.min_samples > 0 and q.samples:
        samples = _record_name(rule, "samples", w)
        recs.append(AlertRule(samples, f"sum(increase({q.samples}[{w}]))", record=True))
        cond = f"({cond})\nand on() ({samples} >= {rule.min_samples})"
    relaxed_text = f" ({_threshold(relaxed)} in degradation mode)" if relaxed is not None else ""
    alert = AlertRule(
        q.alert, cond,
        labels={"severity": rule.severity, "rule_id": rule.id, "runbook_metric": rule.metric},
        annotations={
            "summary": rule.description or rule.condition,
            "runbook_condition": f"{rule.metric} {rule.aggregation} {op} {_threshold(rule.threshold)}"
                                 f"{relaxed_text} over {w}",
        },
        comment=f"{rule.id}: {q.note}" if q.note else rule.id)
    return (*recs, alert)


def runbook_group(rules: Sequence[Rule] = ALL_RULES, degraded_always: bool = False) -> RuleGroup:
    """The recording rules and alerts of the harness's rules; a rule with no mapping is left out, said so."""
    out: list[AlertRule] = [AlertRule(DEGRADED_RECORD, "max(llm_degraded_mode) or vector(0)", record=True,
                                      comment="1 in degradation mode; 0 also when the gauge is absent")]
    missing = []
    for rule in rules:
        q = PROM_QUERIES.get(rule.id)
        if q is None:
            missing.append(rule.id)
            continue
        out.extend(_alert_for(rule, q, degraded_always))
    comment = ("The runbook's ten alerts and the harness's addition (quality.gold_probe_correctness), as the "
               "harness's evaluator reads them (reports/rules.py).")
    if missing:
        comment += f"\nNot exported (no PromQL mapping in reports/export_prometheus.py): {', '.join(missing)}"
    if degraded_always:
        comment += "\nThe scenario runs in degradation mode throughout: relaxed thresholds everywhere."
    return RuleGroup("llmdrill-runbook", tuple(out), comment)


def _degradation_group(time_scale: float = 1.0) -> RuleGroup:
    w = duration(300 * time_scale)
    err = f"llmdrill:llm_error_rate:ratio_rate{w}"
    return RuleGroup("llmdrill-degradation", (
        AlertRule(err, f'sum(rate({CALLS}{{result!="ok"}}[{w}])) / sum(rate({CALLS}[{w}]))', record=True),
        AlertRule("LLMErrorRateHigh",
                  f"({err} > 0.05 unless on() ({DEGRADED_RECORD} == 1))\n"
                  f"or\n({err} > 0.1 and on() ({DEGRADED_RECORD} == 1))",
                  labels={"severity": "warning", "runbook_metric": "error_rate"},
                  annotations={"summary": "more than 5 % of LLM calls fail (10 % in degradation mode)",
                               "runbook_condition": "error_rate > 0.05 (0.10 in degradation mode) over 5m"},
                  comment="no harness rule: the runbook names this threshold only in its degradation-mode table"),
    ), "The runbook's degradation-mode thresholds apply while llm_degraded_mode is 1 (see also llmdrill-runbook).")


#: (long window, short window, burn rate, severity) — the SRE workbook's multi-window, multi-burn-rate alerts
SLO_WINDOWS: tuple[tuple[str, str, float, str], ...] = (
    ("1h", "5m", 14.4, "page"),
    ("6h", "30m", 6.0, "page"),
    ("3d", "6h", 1.0, "ticket"),
)


def _slo_group(objective: float, time_scale: float = 1.0) -> RuleGroup:
    if not 0 < objective < 1:
        raise ValueError(f"an SLO objective is a fraction in (0, 1), e.g. 0.999, not {objective!r}")
    budget = 1 - objective
    answers = "gateway_responses_total"

    def ratio(w: str) -> str:
        return f"llmdrill:gateway_errors:ratio_rate{duration(_seconds(w) * time_scale)}"

    def window(w: str) -> str:
        return duration(_seconds(w) * time_scale)

    windows = sorted({w for long, short, _, _ in SLO_WINDOWS for w in (long, short)},
                     key=lambda w: _seconds(w))
    # the user journeys only: a refusal on an unknown path ("other") is no user's request
    users = 'endpoint=~"parse|chat"'
    recs = [AlertRule(ratio(w), f'sum(rate({answers}{{{users},status!~"2.."}}[{window(w)}])) '
                                f'/ sum(rate({answers}{{{users}}}[{window(w)}]))', record=True) for w in windows]

    def burn(long: str, short: str, rate: float) -> str:
        limit = _threshold(round(rate * budget, 12))
        return f"({ratio(long)} > {limit} and {ratio(short)} > {limit})"

    pages = [b for b in SLO_WINDOWS if b[3] == "page"]
    tickets = [b for b in SLO_WINDOWS if b[3] == "ticket"]
    pct = f"{objective * 100:g} %"
    alerts = (
        AlertRule("GatewayErrorBudgetBurnFast", "\nor\n".join(burn(long, short, r) for long, short, r, _ in pages),
                  labels={"severity": "critical", "slo": "availability"},
                  annotations={"summary": f"the gateway burns its {pct} availability budget fast (page)",
                               "condition": "; ".join(f"{r:g}x over {lg} and {sh}"
                                                              for lg, sh, r, _ in pages)}),
        AlertRule("GatewayErrorBudgetBurnSlow", "\nor\n".join(burn(long, short, r) for long, short, r, _ in tickets),
                  labels={"severity": "warning", "slo": "availability"},
                  annotations={"summary": f"the gateway burns its {pct} availability budget (ticket)",
                               "condition": "; ".join(f"{r:g}x over {lg} and {sh}"
                                                              for lg, sh, r, _ in tickets)}),
    )
    return RuleGroup("llmdrill-slo", (*recs, *alerts),
                     f"Availability SLO of {pct} on the gateway's answers to users: every non-2xx answer "
                     f"(a shed 429 included) spends the error budget of {_threshold(round(budget, 12))}.")


def _seconds(w: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for unit in ("ms", "s", "m", "h", "d"):
        if w.endswith(unit) and w[: -len(unit)].isdigit():
            return int(w[: -len(unit)]) * units[unit]
    raise ValueError(f"not a simple Prometheus duration: {w!r}")


def compress(rule: Rule, time_scale: float) -> Rule:
    """The rule for a Prometheus on a compressed run's wall clock: its window, and a duration threshold, x s."""
    if time_scale == 1.0:
        return rule
    seconds = rule.metric.endswith("_seconds")
    return replace(
        rule, window_s=rule.window_s * time_scale,
        threshold=rule.threshold * time_scale if seconds else rule.threshold,
        degraded_threshold=(rule.degraded_threshold * time_scale
                            if seconds and rule.degraded_threshold is not None else rule.degraded_threshold))


def rule_groups(rules: Sequence[Rule] = ALL_RULES, *, slo_objective: float = 0.999,
                degraded_always: bool = False, time_scale: float = 1.0) -> tuple[RuleGroup, ...]:
    """Every group; ``time_scale`` < 1 gives the rules for a Prometheus watching a compressed run live
    (windows and latency thresholds x ``time_scale``, as the run's own durations are)."""
    if not (math.isfinite(time_scale) and time_scale > 0):
        raise ValueError(f"time_scale must be a positive number, not {time_scale!r}")
    groups = (runbook_group(tuple(compress(r, time_scale) for r in rules), degraded_always),
              _degradation_group(time_scale), _slo_group(slo_objective, time_scale))
    if time_scale == 1.0:
        return groups
    note = (f"\nCompressed for a run at time_scale {time_scale:g}: every window and latency threshold "
            f"x {time_scale:g} (wall-clock seconds of the run).")
    return tuple(replace(g, comment=g.comment + note) for g in groups)
