"""``report.json``: the report as plain JSON (the machine-readable verdict; ``compare`` reads it)."""

from __future__ import annotations

import json
import math
from typing import Any

from .report import Report

__all__ = ["SCHEMA_VERSION", "render_json", "report_to_dict"]

SCHEMA_VERSION = 1


def _num(x: float | None) -> float | None:
    # JSON has no infinities or NaN; a missing value is null
    if x is None or not math.isfinite(x):
        return None
    return round(x, 6)


def report_to_dict(report: Report) -> dict[str, Any]:
    r, info = report.requests, report.info
    s = report.series
    return {
        "schema": SCHEMA_VERSION,
        "scenario": info.scenario,
        "description": info.description,
        "mode": info.mode,
        "seed": info.seed,
        "time_scale": info.time_scale,
        "duration_s": _num(report.end_s),
        "passed": report.passed,
        "requests": {
            "total": r.total,
            "sent": r.sent,
            "succeeded": r.succeeded,
            "failed": r.failed,
            "lost": r.lost,
            "lost_total": r.lost_total,
            "unsent": r.unsent,
            "fallback": r.fallback,
            "degraded": r.degraded,
            "cache_hits": r.cache_hits,
        },
        "latency_s": {k: _num(getattr(report.latency, k)) for k in ("p50", "p95", "p99", "max")},
        "alerts": [
            {
                "rule": a.rule,
                "metric": a.metric,
                "severity": a.severity,
                "condition": a.condition,
                "window_s": a.window_s,
                "fired": a.fired,
                "first_fired_s": _num(a.first_fired_s),
                "intervals": [[_num(x), _num(y)] for x, y in a.intervals],
                "time_to_detect_s": {str(i): _num(t) for i, t in a.time_to_detect_s},
                "asserted": a.asserted,
            }
            for a in report.alerts
        ],
        "severity": {
            "max": report.severity.max,
            "escalation": report.severity.escalation,
            "window_s": report.severity.window_s,
            "timeline": [
                {
                    "start_s": w.start_s,
                    "end_s": w.end_s,
                    "level": w.level,
                    "requests": w.requests,
                    "failed": w.failed,
                    "fallback": w.fallback,
                    "degraded": w.degraded,
                    "lost": w.lost,
                    "alerts": list(w.alerts),
                }
                for w in report.severity.windows
            ],
        },
        "expectations": [
            {
                "name": e.name,
                "passed": e.passed,
                "observed": e.observed,
                "expected": e.expected,
                "detail": e.detail,
                "rule": e.rule,
            }
            for e in report.expectations
        ],
        "upstream_amplification": {
            "total": _num(report.amplification.total),
            "by_provider": {p: _num(v) for p, v in report.amplification.by_provider},
            "over_time": [[t, _num(v)] for t, v in report.amplification.over_time],
        },
        "conservation": {
            "holds": report.conservation.holds,
            "sent": report.conservation.sent,
            "accounted": report.conservation.accounted,
            "problems": list(report.conservation.problems),
        },
        "faults": [
            {"index": f.index, "at_s": f.at_s, "until_s": f.until_s, "provider": f.provider, "label": f.label}
            for f in info.faults
        ],
        "timeseries": {
            "bucket_s": s.bucket_s,
            "t_s": list(s.t_s),
            "latency_s": {k: [_num(v) for v in col] for k, col in s.latency.items()},
            "outcomes": {k: list(v) for k, v in s.outcomes.items()},
            "calls": {k: list(v) for k, v in s.calls.items()},
            "errors": {k: list(v) for k, v in s.errors.items()},
            "cache_hit_rate": [_num(v) for v in s.cache_hit_rate],
            "confidence_avg": [_num(v) for v in s.confidence_avg],
            "json_error_rate": [_num(v) for v in s.json_error_rate],
        },
        "data_problems": list(report.data_problems),
    }


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
