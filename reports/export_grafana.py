"""A Grafana dashboard with the runbook's panels over the gateway's metrics.

The runbook's "Dashboard Clave" lists six panels: LLM latency p50/p95/p99, error rate per provider,
requests per minute, average confidence, timeout rate and cache hit rate.  They come first, with the
runbook's thresholds drawn on them; then what a game day's facilitator also watches: the breakers,
conservation and degraded mode, and the runbook's alerts firing (the exported rules' ``ALERTS``).

The dashboard has a ``datasource`` variable (any Prometheus) and a ``provider`` variable; panels that mirror
an alert use the alert's own window (5 m), so the panel shows what the rule evaluates.
``panel_queries()`` lists every PromQL expression, for checking them (tests parse each with promtool).
Pure: data in, a JSON-ready dict out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DASHBOARD_UID", "PANELS", "SCHEMA_VERSION", "PanelSpec", "Target", "dashboard", "panel_queries"]

#: Grafana 11.6's dashboard schema version (grafana-foundation-sdk 11.6's default)
SCHEMA_VERSION = 41
DASHBOARD_UID = "llmdrill-llm-degradation"
_DS = {"type": "prometheus", "uid": "${datasource}"}
_PROVIDER = 'provider=~"$provider"'


@dataclass(frozen=True, slots=True)
class Target:
    expr: str
    legend: str


@dataclass(frozen=True, slots=True)
class PanelSpec:
    title: str
    targets: tuple[Target, ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    thresholds: tuple[tuple[float, str], ...] = ()  # (value, colour) above the base green
    min: float | None = 0
    max: float | None = None
    mappings: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _q(quantile: float) -> Target:
    return Target(f"histogram_quantile({quantile}, sum by (le) "
                  f"(rate(llm_request_duration_seconds_bucket{{{_PROVIDER}}}[5m])))", f"p{round(quantile * 100)}")


_BREAKER_STATES = [
    ("0", "closed", "green"), ("1", "open", "red"), ("2", "half-open", "orange"),
    ("3", "forced open", "purple"), ("4", "disabled", "blue"),
]

PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("LLM latency p50 / p95 / p99", (_q(0.5), _q(0.95), _q(0.99)), unit="s",
              description="llm_request_duration_seconds over 5 m. Runbook alert: p95 > 10 s (20 s in degradation "
                          "mode).", thresholds=((10, "orange"), (20, "red"))),
    PanelSpec("Error rate by provider", (Target(
        f'sum by (provider) (rate(llm_requests_total{{result!="ok",{_PROVIDER}}}[5m])) '
        f"/ sum by (provider) (rate(llm_requests_total{{{_PROVIDER}}}[5m]))", "{{provider}}"),),
              unit="percentunit", max=1, description="Failed upstream calls / all calls, 5 m. Runbook: 5 % "
                                                     "(10 % in degradation mode); 5xx > 50 % is critical.",
              thresholds=((0.05, "orange"), (0.5, "red"))),
    PanelSpec("Requests per minute", (
        Target("sum by (endpoint) (rate(gateway_responses_total[$__rate_interval])) * 60", "gateway {{endpoint}}"),
        Target(f"sum by (provider) (rate(llm_requests_total{{{_PROVIDER}}}[$__rate_interval])) * 60",
               "LLM calls {{provider}}"),
    ), unit="reqpm", description="User requests the gateway answered, and the upstream calls they cost."),
    PanelSpec("Average confidence", (Target(
        "sum(rate(parsing_confidence_sum[5m])) / sum(rate(parsing_confidence_count[5m]))", "confidence"),),
              unit="percentunit", max=1, description="Parsing confidence, 5 m mean. Runbook alert: < 0.7 "
                                                     "(normal > 0.8)."),
    PanelSpec("Timeout rate", (Target(
        f"sum by (provider) (rate(llm_timeouts_total{{{_PROVIDER}}}[5m])) "
        f"/ sum by (provider) (rate(llm_requests_total{{{_PROVIDER}}}[5m]))", "{{provider}}"),),
              unit="percentunit", max=1, description="Timed-out upstream calls / all calls, 5 m. Runbook alert: "
                                                     "> 5 % (10 % in degradation mode).",
              thresholds=((0.05, "orange"), (0.1, "red"))),
    PanelSpec("Cache hit rate", (Target(
        'sum(rate(llm_cache_requests_total{result="hit"}[5m])) / sum(rate(llm_cache_requests_total[5m]))',
        "hit rate"),), unit="percentunit", max=1, description="Cache hits / lookups, 5 m."),
    PanelSpec("Circuit breakers", (Target(f"llm_circuit_breaker_state{{{_PROVIDER}}}", "{{provider}}"),),
              kind="state-timeline", min=None,
              mappings=({"type": "value", "options": {
                  code: {"text": text, "color": colour, "index": i}
                  for i, (code, text, colour) in enumerate(_BREAKER_STATES)}},),
              description="Per-provider breaker state."),
    PanelSpec("Conservation and degraded mode", (
        Target("max(llm_conservation_mode)", "conservation"), Target("max(llm_degraded_mode)", "degraded")),
              kind="state-timeline", min=None,
              mappings=({"type": "value", "options": {"0": {"text": "off", "color": "green", "index": 0},
                                                      "1": {"text": "on", "color": "orange", "index": 1}}},),
              description="The runbook's mitigations; in degraded mode its relaxed thresholds apply."),
    PanelSpec("Runbook alerts firing", (Target(
        'sum by (alertname, severity) (ALERTS{alertstate="firing", rule_id!=""})', "{{alertname}}"),),
              description="The exported rules' alerts (llmdrill export prometheus-rules)."),
)


def panel_queries() -> tuple[tuple[str, str], ...]:
    """(panel title, PromQL) for every target of every panel."""
    return tuple((p.title, t.expr) for p in PANELS for t in p.targets)


def _thresholds(spec: PanelSpec) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": colour, "value": value} for value, colour in spec.thresholds]
    return {"mode": "absolute", "steps": steps}


def _panel(spec: PanelSpec, pid: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": spec.unit, "thresholds": _thresholds(spec)}
    if spec.min is not None:
        defaults["min"] = spec.min
    if spec.max is not None:
        defaults["max"] = spec.max
    if spec.mappings:
        defaults["mappings"] = [dict(m) for m in spec.mappings]
    if spec.kind == "timeseries" and spec.thresholds:
        defaults["custom"] = {"thresholdsStyle": {"mode": "line"}}
    options: dict[str, Any] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                               "tooltip": {"mode": "multi", "sort": "none"}}
    return {
        "id": pid,
        "type": spec.kind,
        "title": spec.title,
        "description": spec.description,
        "datasource": dict(_DS),
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "targets": [{"refId": chr(ord("A") + i), "datasource": dict(_DS), "expr": t.expr,
                     "legendFormat": t.legend, "range": True}
                    for i, t in enumerate(spec.targets)],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def dashboard(title: str = "LLM degradation (llmdrill runbook)") -> dict[str, Any]:
    panels = [_panel(spec, i + 1, 12 * (i % 2), 8 * (i // 2)) for i, spec in enumerate(PANELS)]
    return {
        "uid": DASHBOARD_UID,
        "title": title,
        "description": "The runbook's 'Dashboard Clave' panels over the llmdrill gateway's metrics.",
        "tags": ["llmdrill", "llm", "runbook"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "fiscalYearStartMonth": 0,
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "templating": {"list": [
            {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
            {"name": "provider", "label": "Provider", "type": "query", "datasource": dict(_DS),
             "query": {"query": "label_values(llm_requests_total, provider)", "refId": "provider"},
             "includeAll": True, "multi": True, "allValue": ".*", "current": {}, "hide": 0, "refresh": 2,
             "regex": "", "sort": 1, "options": []},
        ]},
        "panels": panels,
    }
