"""A plan's plots: p95 and error rate against traffic with the SLO line and the knee; the backup quota.

Rendered off-screen (Agg) to PNG bytes; the caller writes them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .recommend import Recommendation
from .result import PointResult
from .spec import PlanSpec, format_value

__all__ = ["render_plots"]


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt  # lazy: matplotlib costs ~1 s, paid only by a plan that draws

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")   # type: ignore[attr-defined]
    plt.close(fig)   # type: ignore[arg-type]
    return buf.getvalue()


def _against_traffic(spec: PlanSpec, rec: Recommendation) -> bytes:
    import matplotlib  # lazy, as in _png; pyplot after use("Agg"), so that no display is needed

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy, and after use("Agg")

    fig, (p95_ax, err_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for config in rec.configs:
        xs = [p.traffic for p in config.points]
        (line,) = p95_ax.plot(xs, [p.p95_s for p in config.points], marker="o", label=config.label)
        err_ax.plot(xs, [p.error_rate * 100 for p in config.points], marker="o", color=line.get_color())
        if config.knee_traffic is not None:
            at = next(p for p in config.points if p.traffic == config.knee_traffic)
            p95_ax.scatter([at.traffic], [at.p95_s], s=160, facecolors="none", edgecolors=line.get_color())
    p95_ax.axhline(spec.slo.p95_s, color="red", linestyle="--", label=f"SLO p95 {spec.slo.p95_s:g} s")
    err_ax.axhline(spec.slo.errors * 100, color="red", linestyle="--", label=f"SLO errors {spec.slo.errors * 100:g} %")
    p95_ax.set(xlabel="traffic (× the scenario's load)", ylabel="p95 latency (s)",
               title="p95 against traffic (circled: the knee)")
    err_ax.set(xlabel="traffic (× the scenario's load)", ylabel="errors (%)", title="error rate against traffic")
    p95_ax.legend(fontsize=7)
    err_ax.legend(fontsize=7)
    return _png(fig)


def _backup_quota(spec: PlanSpec, results: Sequence[PointResult], axis: str) -> bytes:
    import matplotlib  # lazy, as in _png; pyplot after use("Agg"), so that no display is needed

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy, and after use("Agg")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    by_traffic: dict[float, list[PointResult]] = {}
    for result in results:
        by_traffic.setdefault(result.traffic, []).append(result)
    provider = axis.partition(".")[2]
    for traffic, points in sorted(by_traffic.items()):
        points.sort(key=lambda r: float(r.knob(axis, {}).get("rpm", 0.0)))
        xs = [float(r.knob(axis, {}).get("rpm", 0.0)) for r in points]
        (line,) = ax.plot(xs, [r.error_rate * 100 for r in points], marker="o",
                          label=f"traffic {format_value(traffic)}×")
        held = [x for x, r in zip(xs, points, strict=True) if r.holds(spec.slo)]
        if held:
            ax.axvline(min(held), linestyle=":", alpha=0.7, color=line.get_color())
    ax.axhline(spec.slo.errors * 100, color="red", linestyle="--", label="SLO errors")
    ax.set(xlabel=f"{provider} quota (requests per minute)", ylabel="errors (%)",
           title=f"{provider} quota needed (dotted: the smallest that holds the SLO)")
    ax.legend(fontsize=7)
    return _png(fig)


def render_plots(spec: PlanSpec, results: Sequence[PointResult], rec: Recommendation) -> dict[str, bytes]:
    plots: dict[str, bytes] = {}
    if any(name == "traffic" for name, _ in spec.axes):
        plots["traffic.png"] = _against_traffic(spec, rec)
    for name, _ in spec.axes:
        if name.startswith("quota."):
            plots[f"{name.replace('.', '-')}.png"] = _backup_quota(spec, results, name)
    return plots
