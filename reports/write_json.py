"""``report.json``: the report as plain JSON (the machine-readable verdict; ``compare`` reads it)."""

from __future__ import annotations

import json
import math
from typing import Any

from .harness import NOT_MEASURED, HarnessSummary, summary_line
from .partial import partial_plots
from .report import Report
from .write_correctness import correctness_dict, readings_line, severity_dict
from .write_extras import extras_dict

__all__ = ["SCHEMA_VERSION", "render_json", "report_to_dict"]

SCHEMA_VERSION = 1


def _num(x: float | None) -> float | None:
    # JSON has no infinities or NaN; a missing value is null
    if x is None or not math.isfinite(x):
        return None
    return round(x, 6)


def _harness(h: HarnessSummary) -> dict[str, Any]:
    lag = h.send_lag
    return {
        "summary": summary_line(h),
        "overloaded": h.overloaded,
        "banner": h.banner,
        "send_lag_s": {
            "sent": lag.sent,
            "p50": _num(lag.p50_s),
            "p99": _num(lag.p99_s),
            "max": _num(lag.max_s),
            "late_over_10ms": lag.late,
            "late_share": _num(lag.late_share),
        },
        "harness_errors": h.harness_errors,
        "harness_error_kinds": dict(h.harness_error_kinds),
        # absent from run.json: the figure was not measured, which is not zero
        "merge": dict(h.merge) if h.merge else NOT_MEASURED,
        "overhead": dict(h.overhead) if h.overhead else NOT_MEASURED,
    }


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
        "harness_failure": [dict(f) for f in info.harness_failure],
        # plots a dead process fed: drawn, but what it supplied stops at its death
        "partial_plots": {k: {"from_s": p.from_s, "why": p.why} for k, p in sorted(partial_plots(info).items())},
        "merge": dict(info.merge),
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
            "shed": r.shed,
            "harness_errors": r.harness_errors,
        },
        # over timed requests: answered (sheds excepted) or given up on at the client timeout
        "latency_s": {k: _num(getattr(report.latency, k)) for k in ("p50", "p95", "p99", "max")},
        "latency_samples": report.latency.samples,
        "harness": _harness(report.harness),
        # the headline: the share of answers right against gold, and the severity reading used
        "correctness": correctness_dict(report.correctness),
        "rates": {k: _num(v) for k, v in report.rates},
        "alerts": [
            {
                "rule": a.rule,
                "metric": a.metric,
                "severity": a.severity,
                "condition": a.condition,
                "window_s": a.window_s,
                "fired": a.fired,
                "status": a.status,
                "note": a.note,
                "first_fired_s": _num(a.first_fired_s),
                "intervals": [[_num(x), _num(y)] for x, y in a.intervals],
                "time_to_detect_s": {str(i): _num(t) for i, t in a.time_to_detect_s},
                "asserted": a.asserted,
                "origin": a.origin,
            }
            for a in report.alerts
        ],
        "severity": {
            "max": report.severity.max,
            "escalation": report.severity.escalation,
            "summary": readings_line(report),
            **severity_dict(report),
            "window_s": report.severity.window_s,
            "timeline": [
                {
                    "start_s": w.start_s,
                    "end_s": w.end_s,
                    "level": w.level,
                    "requests": w.requests,
                    "failed": w.failed,
                    "wrong": w.wrong,
                    "fallback": w.fallback,
                    "degraded": w.degraded,
                    "lost": w.lost,
                    "harness_errors": w.harness_errors,
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
            "correct_rate": [_num(v) for v in s.correct_rate],
        },
        "data_problems": list(report.data_problems),
        **extras_dict(report),   # "target" (a drill of another gateway) and "prometheus" (its comparison)
    }


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
