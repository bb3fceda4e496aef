"""From a plan's results to its answer: what each configuration holds, the knee, the cheapest that holds.

Pure: results in, a :class:`Recommendation` out (its ``text`` is the plain-language
answer).  A configuration is a point's knobs without its traffic; the values of
each swept knob are taken as listed cheapest first, so a configuration's cost is
the sum of its values' positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .result import PointResult
from .spec import SLO, PlanSpec, format_value

__all__ = ["ConfigSummary", "Recommendation", "knee", "recommend"]

#: the runbook's "Paso 2: Implementar Fix Permanente", keyed by the knob whose values moved the answer most
FIXES = {
    "outage": "automatic failover to a backup provider (runbook: Servidor down → Failover automático a backup)",
    "quota": "multi-LLM load balancing over enough quota, sized as above (runbook: Latencia alta → "
             "multi-LLM con load balancing)",
    "weights": "multi-LLM load balancing (runbook: Latencia alta → multi-LLM con load balancing)",
    "services": "multi-LLM load balancing (runbook: Latencia alta → multi-LLM con load balancing)",
    "cache": "more aggressive caching (runbook: Rate limiting → Caching más agresivo)",
    "distinct_prompts": "more aggressive caching (runbook: Rate limiting → Caching más agresivo)",
    "stack": "a queue in front of the providers (runbook: Rate limiting → queue system)",
    "retries": "a queue in front of the providers (runbook: Rate limiting → queue system)",
    "timeout": "a queue in front of the providers (runbook: Rate limiting → queue system)",
}


@dataclass(frozen=True, slots=True)
class ConfigSummary:
    label: str
    knobs: tuple[tuple[str, Any], ...]
    cost: int
    points: tuple[PointResult, ...]   # by traffic
    max_traffic: float | None          # the highest traffic held, every lower one held too
    knee_traffic: float | None


@dataclass(frozen=True, slots=True)
class Recommendation:
    configs: tuple[ConfigSummary, ...]
    cheapest: ConfigSummary | None
    target: float | None
    fix: str
    text: str


def knee(traffic: Sequence[float], p95: Sequence[float]) -> float | None:
    """Where p95 leaves its flat part: the point farthest below the chord of the normalised curve (Kneedle)."""
    if len(traffic) < 3:
        return None
    lo_x, hi_x, lo_y, hi_y = min(traffic), max(traffic), min(p95), max(p95)
    if hi_x <= lo_x or hi_y - lo_y <= 0.05 * max(hi_y, 1e-9) or p95[-1] <= p95[0]:
        return None   # flat, or falling (more cache hits): no knee in the range swept
    gaps = [((x - lo_x) / (hi_x - lo_x)) - ((y - lo_y) / (hi_y - lo_y)) for x, y in zip(traffic, p95, strict=True)]
    best = max(range(len(gaps)), key=lambda i: gaps[i])
    return traffic[best] if gaps[best] > 0 else None


def _summaries(spec: PlanSpec, results: Sequence[PointResult]) -> list[ConfigSummary]:
    positions = {name: {format_value(v): i for i, v in enumerate(values)} for name, values in spec.axes}
    groups: dict[tuple[tuple[str, str], ...], list[PointResult]] = {}
    for result in results:
        key = tuple((k, format_value(v)) for k, v in result.knobs if k != "traffic" and k in positions)
        groups.setdefault(key, []).append(result)
    out = []
    for key, points in groups.items():
        points.sort(key=lambda r: r.traffic)
        held: float | None = None
        for point in points:
            if not point.holds(spec.slo):
                break
            held = point.traffic
        cost = sum(positions[k][v] for k, v in key)
        label = ", ".join(f"{k}={v}" for k, v in key) or "base"
        knobs = tuple((k, v) for k, v in points[0].knobs if k != "traffic")
        out.append(ConfigSummary(label, knobs, cost, tuple(points), held,
                                 knee([p.traffic for p in points], [p.p95_s for p in points])))
    return out


def _holds_target(config: ConfigSummary, target: float, slo: SLO) -> bool:
    at = [p for p in config.points if p.traffic >= target]
    return bool(at) and all(p.holds(slo) for p in config.points if p.traffic <= target)


def moving_knobs(spec: PlanSpec, configs: Sequence[ConfigSummary]) -> list[tuple[str, float]]:
    """The swept knobs (besides traffic) that change the traffic held, most first, with by how much.

    A knob's effect: over its values, the spread of the best traffic held by a configuration with that value.
    """
    ranked = []
    for name, values in spec.axes:
        if name == "traffic" or len(values) < 2:
            continue
        by_value: dict[str, float] = {}
        for config in configs:
            value = format_value(dict(config.knobs).get(name))
            by_value[value] = max(by_value.get(value, 0.0), config.max_traffic or 0.0)
        spread = max(by_value.values()) - min(by_value.values())
        if spread > 0:
            ranked.append((name, spread))
    return sorted(ranked, key=lambda kv: -kv[1])


def _fix(spec: PlanSpec, configs: Sequence[ConfigSummary], results: Sequence[PointResult]) -> str:
    if any(dict(r.knobs).get("outage") for r in results):
        return FIXES["outage"]
    moving = moving_knobs(spec, configs)
    if moving:
        (first, by), rest = moving[0], moving[1:]
        text = f"{FIXES[first.partition('.')[0]]} — {first} moved the traffic held most (by {by:g}×)"
        also = [f"{FIXES[n.partition('.')[0]]} ({n}: by {b:g}×)" for n, b in rest
                if FIXES[n.partition('.')[0]] != FIXES[first.partition('.')[0]]]
        return text + ("; then " + "; ".join(also) if also else "")
    broken = [r for r in results if not r.holds(spec.slo)]
    if any(r.error_rate >= spec.slo.errors and any("rate_limit" in a for a in r.alerts) for r in broken):
        return FIXES["cache"] + "; or " + FIXES["stack"]
    if broken:
        return FIXES["weights"]
    return "none needed within the traffic swept: every configuration held the SLO"


def recommend(spec: PlanSpec, results: Sequence[PointResult]) -> Recommendation:
    configs = _summaries(spec, results)
    target = spec.target_traffic
    lines = [f"SLO: {spec.slo.describe()}."]
    if spec.question:
        lines.insert(0, f"Question: {spec.question}")
    has_traffic = any(name == "traffic" for name, _ in spec.axes)
    for config in sorted(configs, key=lambda c: (c.cost, c.label)):
        top = config.points[-1]
        if not has_traffic:
            verdict = "holds the SLO" if top.holds(spec.slo) else f"breaks the SLO ({top.why_not(spec.slo)})"
            lines.append(f"- {config.label}: {verdict} at traffic {format_value(top.traffic)}×.")
            continue
        if config.max_traffic is None:
            first = config.points[0]
            held = (f"holds no traffic swept: already at {format_value(first.traffic)}× "
                    f"{first.why_not(spec.slo)}")
        else:
            held = f"holds up to {format_value(config.max_traffic)}× traffic"
            beyond = [p for p in config.points if p.traffic > config.max_traffic]
            if beyond:
                held += f" (at {format_value(beyond[0].traffic)}×: {beyond[0].why_not(spec.slo)})"
            else:
                held += " (the most swept)"
        if config.knee_traffic is not None:
            held += f"; p95 knee near {format_value(config.knee_traffic)}×"
        lines.append(f"- {config.label}: {held}.")
    cheapest = None
    if target is not None:
        holding = [c for c in configs if _holds_target(c, target, spec.slo)]
        cheapest = min(holding, key=lambda c: (c.cost, c.label)) if holding else None
        if cheapest is None:
            lines.append(f"No configuration swept holds {format_value(target)}× traffic within the SLO.")
        else:
            at = next(p for p in cheapest.points if p.traffic >= target)
            lines.append(f"Cheapest configuration that holds {format_value(target)}× traffic: {cheapest.label} "
                         f"(p95 {at.p95_s:.2f} s, errors {at.error_rate * 100:.2f} %, severity {at.severity}; "
                         f"its scenario: point-{at.index:04d}/scenario.yaml; llmdrill plan-check checks it live).")
    fix = _fix(spec, configs, results)
    lines.append(f"Permanent fix the numbers support: {fix}.")
    return Recommendation(tuple(configs), cheapest, target, fix, "\n".join(lines))
