"""The report's plots as PNG bytes (matplotlib's Agg canvas: no display, no pyplot, no files).

One function per plot; ``render_plots`` returns ``{file name: PNG bytes}``.  Fault windows are shaded
on every time axis.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .report import Report

__all__ = ["PLOTS", "render_plots"]

_LEVEL_COLOURS = {"none": "#d9f2d9", "P4": "#fff3b0", "P3": "#ffc870", "P2": "#ff8a5c", "P1": "#d62728"}


def _minutes(ts: Sequence[float]) -> list[float]:
    return [t / 60.0 for t in ts]


def _shade_faults(ax: Axes, report: Report) -> None:
    for f in report.info.faults:
        end = f.end(report.end_s)
        ax.axvspan(f.at_s / 60, end / 60, color="red", alpha=0.08)
        ax.text(
            f.at_s / 60,
            1.0,
            f" fault {f.index} {f.label}",
            transform=ax.get_xaxis_transform(),
            fontsize=7,
            va="top",
            color="darkred",
        )


def _figure(title: str) -> tuple[Figure, Axes]:
    # a bare Figure on the Agg canvas: no pyplot global state, no display needed
    fig = Figure(figsize=(9, 3.2), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("minutes")
    ax.grid(alpha=0.3)
    return fig, ax


def _nan(col: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in col]


def _latency(report: Report, ax: Axes) -> None:
    s = report.series
    for key in ("p50", "p95", "p99"):
        ax.plot(_minutes(s.t_s), _nan(s.latency[key]), label=key, marker=".", ms=3)
    for a in report.evaluation.rules:
        if a.rule.id in ("latency.llm_p95", "latency.agent_p95"):
            ax.axhline(a.rule.threshold, ls="--", lw=1, color="grey")
            ax.text(0, a.rule.threshold, f" {a.rule.id} {a.rule.threshold:g}s", fontsize=7, va="bottom")
    ax.set_ylabel("seconds")
    ax.legend(fontsize=7)


def _outcomes(report: Report, ax: Axes) -> None:
    s = report.series
    names = ("ok", "fallback", "degraded", "failed", "lost")
    colours = ("#2ca02c", "#17becf", "#bcbd22", "#d62728", "#7f7f7f")
    ax.stackplot(
        _minutes(s.t_s), *[list(s.outcomes[k]) for k in names], labels=names, colors=colours, step="post"
    )
    ax.set_ylabel(f"requests / {s.bucket_s:g}s")
    ax.legend(fontsize=7, loc="upper right")


def _providers(report: Report, ax: Axes) -> None:
    s = report.series
    for p in s.calls:
        line = ax.plot(_minutes(s.t_s), list(s.calls[p]), label=f"{p} calls")
        ax.plot(_minutes(s.t_s), list(s.errors[p]), ls=":", color=line[0].get_color(), label=f"{p} errors")
    ax.set_ylabel(f"per {s.bucket_s:g}s")
    if s.calls:
        ax.legend(fontsize=7)


def _breakers(report: Report, ax: Axes) -> None:
    order = ["closed", "half_open", "open", "forced_open"]
    for p, transitions in report.series.breaker.items():
        xs = [0.0] + [t / 60 for t, _ in transitions] + [report.end_s / 60]
        ys = [0] + [order.index(st) if st in order else len(order) for _, st in transitions]
        ys.append(ys[-1])
        ax.step(xs, ys, where="post", label=p)
    ax.set_yticks(range(len(order)), order)
    if report.series.breaker:
        ax.legend(fontsize=7)


def _cache(report: Report, ax: Axes) -> None:
    ax.plot(_minutes(report.series.t_s), _nan(report.series.cache_hit_rate), color="#9467bd")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("cache hit rate")


def _quality(report: Report, ax: Axes) -> None:
    s = report.series
    ax.plot(_minutes(s.t_s), _nan(s.confidence_avg), label="confidence avg")
    ax.plot(_minutes(s.t_s), _nan(s.json_error_rate), label="JSON error rate")
    ax.axhline(0.7, ls="--", lw=1, color="grey")
    ax.axhline(0.1, ls=":", lw=1, color="grey")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)


def _severity(report: Report, ax: Axes) -> None:
    for w in report.severity.windows:
        ax.axvspan(w.start_s / 60, w.end_s / 60, color=_LEVEL_COLOURS[w.level])
        ax.text(
            (w.start_s + w.end_s) / 120,
            0.5,
            "" if w.level == "none" else w.level,
            ha="center",
            va="center",
            fontsize=7,
        )
    ax.set_yticks([])


def _quota(report: Report, ax: Axes) -> None:
    s = report.series
    per_min = 60.0 / s.bucket_s
    for p, col in s.calls.items():
        line = ax.plot(_minutes(s.t_s), [v * per_min for v in col], label=f"{p} calls/min")
        quota = report.info.quotas_rpm.get(p)
        if quota:
            ax.axhline(quota, ls="--", lw=1, color=line[0].get_color(), label=f"{p} quota {quota:g} rpm")
    ax.set_ylabel("calls / min")
    if s.calls:
        ax.legend(fontsize=7)


PLOTS: dict[str, tuple[str, Callable[[Report, Axes], None]]] = {
    "latency.png": ("Request latency p50 / p95 / p99", _latency),
    "outcomes.png": ("Outcomes over time", _outcomes),
    "providers.png": ("Calls and errors per provider", _providers),
    "breakers.png": ("Circuit breaker state", _breakers),
    "cache.png": ("Cache hit rate", _cache),
    "quality.png": ("Confidence and JSON error rate", _quality),
    "severity.png": ("Severity per window", _severity),
    "quota.png": ("Calls per minute against quota", _quota),
}


def render_plots(report: Report) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name, (title, draw) in PLOTS.items():
        fig, ax = _figure(title)
        draw(report, ax)
        _shade_faults(ax, report)
        ax.set_xlim(0, max(report.end_s / 60, 1e-6))
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png")
        out[name] = buf.getvalue()
    return out
