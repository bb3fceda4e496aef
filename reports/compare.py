"""Two reports side by side (e.g. before/after a change, or live vs. its SimPy twin).

Reads the ``report.json`` dictionaries, so stored reports of old runs compare too.  Beside counts
and latency it sets correctness against gold (overall, gold probe, wrong answers), both severity
readings, and every rate either run's expectations name (``report.json``'s ``rates``; a rate only
one run computed shows "—" for the other).  Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Comparison", "compare_reports", "render_comparison_markdown"]

_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("passed", ("passed",)),
    ("correct against gold", ("correctness", "overall", "rate")),
    ("wrong answers", ("correctness", "overall", "wrong")),
    ("gold probe correct", ("correctness", "gold_probe", "rate")),
    ("severity max", ("severity", "max")),
    ("severity reading", ("severity", "reading")),
    ("severity max, other reading", ("severity", "other_reading", "max")),
    ("sent", ("requests", "sent")),
    ("succeeded", ("requests", "succeeded")),
    ("failed", ("requests", "failed")),
    ("lost", ("requests", "lost")),
    ("fallback", ("requests", "fallback")),
    ("degraded", ("requests", "degraded")),
    ("cache hits", ("requests", "cache_hits")),
    ("latency p50 (s)", ("latency_s", "p50")),
    ("latency p95 (s)", ("latency_s", "p95")),
    ("latency p99 (s)", ("latency_s", "p99")),
    ("latency max (s)", ("latency_s", "max")),
    ("upstream amplification", ("upstream_amplification", "total")),
)


@dataclass(frozen=True, slots=True)
class Comparison:
    a_name: str
    b_name: str
    rows: tuple[tuple[str, Any, Any, float | None], ...]  # label, a, b, b - a
    alerts: tuple[tuple[str, Any, Any], ...]  # rule, a first fired, b first fired
    expectations: tuple[tuple[str, bool | None, bool | None], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_name,
            "b": self.b_name,
            "rows": [{"metric": k, "a": a, "b": b, "delta": d} for k, a, b, d in self.rows],
            "alerts": [{"rule": r, "a_first_fired_s": a, "b_first_fired_s": b} for r, a, b in self.alerts],
            "expectations": [{"name": n, "a": a, "b": b} for n, a, b in self.expectations],
        }


def _get(report: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = report
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _delta(a: Any, b: Any) -> float | None:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, numbers) or not isinstance(b, numbers):
        return None
    return float(b) - float(a)


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        raise ValueError("compare_reports takes two report.json objects")
    rows = tuple((label, _get(a, p), _get(b, p), _delta(_get(a, p), _get(b, p))) for label, p in _ROWS)
    rates_a, rates_b = (r if isinstance(r := report.get("rates"), Mapping) else {} for report in (a, b))
    rows += tuple(
        (str(k), rates_a.get(k), rates_b.get(k), _delta(rates_a.get(k), rates_b.get(k)))
        for k in dict.fromkeys([*rates_a, *rates_b])
    )

    def by(report: Mapping[str, Any], key: str, name: str) -> dict[str, Any]:
        items = report.get(key) or []
        return {str(i.get(name)): i for i in items if isinstance(i, Mapping)}

    alerts_a, alerts_b = by(a, "alerts", "rule"), by(b, "alerts", "rule")
    def fired(alerts_of: dict[str, Any], rule: str) -> Any:
        # a rule that could not be judged says so: "no data" is not "did not fire"
        alert = alerts_of.get(rule, {})
        return "no data" if alert.get("status") == "no data" else alert.get("first_fired_s")

    alerts = tuple(
        (rule, fired(alerts_a, rule), fired(alerts_b, rule)) for rule in sorted(set(alerts_a) | set(alerts_b), key=str)
    )
    exp_a, exp_b = by(a, "expectations", "name"), by(b, "expectations", "name")
    names = list(dict.fromkeys([*exp_a, *exp_b]))
    expectations = tuple(
        (
            str(n),
            exp_a[n].get("passed") if n in exp_a else None,
            exp_b[n].get("passed") if n in exp_b else None,
        )
        for n in names
    )
    return Comparison(str(a.get("scenario", "a")), str(b.get("scenario", "b")), rows, alerts, expectations)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✅" if value else "❌"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_comparison_markdown(c: Comparison) -> str:
    lines = [f"## {c.a_name} vs {c.b_name}", "", "| metric | A | B | Δ |", "|---|---|---|---|"]
    lines += [
        f"| {k} | {_fmt(a)} | {_fmt(b)} | {'' if d is None else f'{d:+.4g}'} |" for k, a, b, d in c.rows
    ]
    lines += ["", "| alert | A first fired (s) | B first fired (s) |", "|---|---|---|"]
    lines += [f"| `{r}` | {_fmt(a)} | {_fmt(b)} |" for r, a, b in c.alerts]
    if c.expectations:
        lines += ["", "| expectation | A | B |", "|---|---|---|"]
        lines += [f"| `{n}` | {_fmt(a)} | {_fmt(b)} |" for n, a, b in c.expectations]
    return "\n".join(lines) + "\n"
