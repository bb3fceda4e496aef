"""A plan's results as a table: CSV for tools, Markdown for people (a model apart from its printers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .result import PointResult
from .spec import SLO, PlanSpec, format_value

__all__ = ["failures_markdown", "render_csv", "render_markdown"]

_COLUMNS = ("point", "requests", "p50_s", "p95_s", "p99_s", "error_rate", "severity", "cache_hit_rate",
            "fallback_rate", "holds_slo", "alerts", "wall_s")


def _row(result: PointResult, slo: SLO) -> list[str]:
    return [str(result.index), str(result.requests), f"{result.p50_s:.3f}", f"{result.p95_s:.3f}",
            f"{result.p99_s:.3f}", f"{result.error_rate:.4f}", result.severity, f"{result.cache_hit_rate:.3f}",
            f"{result.fallback_rate:.4f}", "yes" if result.holds(slo) else "no", " ".join(result.alerts),
            f"{result.wall_s:.1f}"]


def render_csv(spec: PlanSpec, results: Sequence[PointResult]) -> str:
    knobs = [name for name, _ in spec.axes]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*knobs, *_COLUMNS])
    for result in results:
        values = dict(result.knobs)
        writer.writerow([format_value(values.get(k)) for k in knobs] + _row(result, spec.slo))
    return out.getvalue()


def render_markdown(spec: PlanSpec, results: Sequence[PointResult]) -> str:
    knobs = [name for name, _ in spec.axes]
    head = [*knobs, "p50 s", "p95 s", "errors %", "severity", "cache hits %", "SLO", "requests"]
    lines = [f"| {' | '.join(head)} |", f"|{'---|' * len(head)}"]
    for r in results:
        values = dict(r.knobs)
        cells = [format_value(values.get(k)) for k in knobs] + [
            f"{r.p50_s:.2f}", f"{r.p95_s:.2f}", f"{r.error_rate * 100:.2f}", r.severity,
            f"{r.cache_hit_rate * 100:.0f}", "holds" if r.holds(spec.slo) else f"breaks: {r.why_not(spec.slo)}",
            f"{r.requests:,}"]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def failures_markdown(failed: Sequence[tuple[int, str, str]]) -> str:
    """Points that did not run: ``(index, label, why)``."""
    return "".join(f"- point {i} ({label}) failed: {why}\n" for i, label, why in failed)
