"""The report's plots as PNG bytes (matplotlib's Agg canvas: no display, no pyplot, no files).

One function per plot; ``render_plots`` returns ``{file name: PNG bytes}``.  Every time axis is in
minutes of scenario time with the fault windows shaded and labelled; every time-series plot of one
report uses the same bucket (``reports.series.choose_bucket``) and says it on its x axis.  A bucket
without a value (too few samples for a percentile, nothing to divide by for a rate) is skipped and
the line joins its neighbours: a gap would read as an outage that never happened.  A plot fed by a
process of the harness that died is hatched from its death on and titled partial (``reports.partial``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .partial import Partial, partial_plots
from .report import Report
from .series import MIN_PERCENTILE_SAMPLES

__all__ = ["PLOTS", "render_plots"]

_LEVEL_COLOURS = {
    "insufficient data": "#eeeeee",
    "none": "#d9f2d9",
    "P4": "#fff3b0",
    "P3": "#ffc870",
    "P2": "#ff8a5c",
    "P1": "#d62728",
}


def _centres(report: Report) -> list[float]:
    s = report.series
    return [(t + s.bucket_s / 2) / 60 for t in s.t_s]


def _line(ax: Axes, report: Report, col: Sequence[float | None], label: str, color: str | None = None) -> None:
    pts = [(x, y) for x, y in zip(_centres(report), col, strict=True) if y is not None]
    ax.plot([x for x, _ in pts], [y for _, y in pts], marker=".", ms=4, label=label, color=color)


def _fault_label(ax: Axes, x_min: float, y: float, text: str, in_axes_y: bool) -> None:
    ax.text(x_min, y, text, fontsize=7, color="darkred", clip_on=True, va="top" if in_axes_y else "center",
            transform=ax.get_xaxis_transform() if in_axes_y else ax.transData)  # fmt: skip


def _legend(ax: Axes) -> None:
    # outside the axes: inside it hid the fault labels and the lines' peaks
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0)


def _shade_faults(ax: Axes, report: Report) -> None:
    for f in report.info.faults:
        end = f.end(report.end_s)
        ax.axvspan(f.at_s / 60, end / 60, color="red", alpha=0.08, lw=0)
        _fault_label(ax, f.at_s / 60, 0.98, f" fault {f.index}: {f.label}", in_axes_y=True)


def _mark_partial(ax: Axes, report: Report, p: Partial, title: str) -> None:
    # hatched, not blank: the records stop at the death, and an empty span would read as an outage
    end = max(report.end_s, p.from_s)
    ax.axvspan(p.from_s / 60, end / 60, facecolor="none", edgecolor="grey", hatch="//", alpha=0.5, lw=0)
    _fault_label(ax, p.from_s / 60, 0.5, " partial: not measured from here", in_axes_y=True)
    ax.set_title(f"{title} - PARTIAL: {p.why}", fontsize=10, color="darkred")


def _figure(title: str) -> tuple[Figure, Axes]:
    # a bare Figure on the Agg canvas: no pyplot global state, no display needed
    fig = Figure(figsize=(10, 3.2), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return fig, ax


def _latency(report: Report, ax: Axes) -> None:
    s = report.series
    for key in ("p50", "p95", "p99"):
        _line(ax, report, s.latency[key], label=key)
    for a in report.evaluation.rules:
        if a.rule.id in ("latency.llm_p95", "latency.agent_p95"):
            ax.axhline(a.rule.threshold, ls="--", lw=1, color="grey")
            ax.text(0.995, a.rule.threshold, f"{a.rule.id} {a.rule.threshold:g} s ", fontsize=7,
                    va="bottom", ha="right", transform=ax.get_yaxis_transform())  # fmt: skip
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Request latency p50 / p95 / p99 (points need >= {MIN_PERCENTILE_SAMPLES} requests)",
                 fontsize=10)  # fmt: skip


def _outcomes(report: Report, ax: Axes) -> None:
    s = report.series
    names = ("ok", "fallback", "degraded", "failed", "lost")
    colours = ("#2ca02c", "#17becf", "#bcbd22", "#d62728", "#7f7f7f")
    left = [t / 60 for t in s.t_s]
    bottom = [0] * len(left)
    for name, colour in zip(names, colours, strict=True):
        col = s.outcomes[name]
        if any(col):
            ax.bar(left, col, width=s.bucket_s / 60 * 0.95, bottom=bottom, align="edge", color=colour,
                   label=name)  # fmt: skip
            bottom = [b + v for b, v in zip(bottom, col, strict=True)]
    ax.set_ylabel("requests per bucket")


def _providers(report: Report, ax: Axes) -> None:
    s = report.series
    for p in s.calls:
        line = ax.plot(_centres(report), list(s.calls[p]), label=f"{p} calls", marker=".", ms=4)
        ax.plot(_centres(report), list(s.errors[p]), ls=":", color=line[0].get_color(), label=f"{p} errors")
    ax.set_ylabel("calls per bucket")
    ax.set_ylim(bottom=0)


def _breakers(report: Report, ax: Axes) -> None:
    order = ["closed", "half_open", "open", "forced_open"]
    for p, transitions in report.series.breaker.items():
        xs = [0.0] + [t / 60 for t, _ in transitions] + [report.end_s / 60]
        ys = [0] + [order.index(st) if st in order else len(order) for _, st in transitions]
        ys.append(ys[-1])
        ax.step(xs, ys, where="post", label=p)
    ax.set_yticks(range(len(order)), order)
    ax.set_ylim(-0.3, len(order) - 0.7)
    if not report.series.breaker:
        ax.text(0.5, 0.5, "no breaker transitions: every breaker stayed closed", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="grey")  # fmt: skip


def _cache(report: Report, ax: Axes) -> None:
    _line(ax, report, report.series.cache_hit_rate, color="#9467bd", label="hits / answered")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("cache hit rate")


def _quality(report: Report, ax: Axes) -> None:
    s = report.series
    _line(ax, report, s.confidence_avg, label="confidence avg")
    _line(ax, report, s.json_error_rate, label="JSON error rate")
    if any(v is not None for v in s.correct_rate):
        # the figure no runbook alert reads: answers right against gold
        _line(ax, report, s.correct_rate, label="correct vs gold", color="#2ca02c")
    ax.axhline(0.7, ls="--", lw=1, color="grey", label="confidence floor 0.7")
    ax.axhline(0.1, ls=":", lw=1, color="grey", label="JSON error ceiling 10%")
    ax.set_ylim(0, 1.05)


def _severity(report: Report, ax: Axes) -> None:
    # levels in the lower band, fault windows as labelled bars above: the incident at a glance
    for w in report.severity.windows:
        ax.axvspan(w.start_s / 60, w.end_s / 60, ymin=0, ymax=0.6, color=_LEVEL_COLOURS[w.level], lw=0)
        if w.level not in ("none", "insufficient data"):
            ax.text((w.start_s + w.end_s) / 120, 0.3, w.level, ha="center", va="center", fontsize=7)
    for f in report.info.faults:
        end = f.end(report.end_s)
        ax.axvspan(f.at_s / 60, end / 60, ymin=0.68, ymax=0.95, color="#e57373", alpha=0.6, lw=0)
        _fault_label(ax, f.at_s / 60, 0.815, f" fault {f.index}: {f.label}", in_axes_y=False)
    ax.set_ylim(0, 1)
    ax.set_yticks([0.3, 0.815], ["severity", "faults"])
    ax.set_title(f"Severity per {report.severity.window_s:g} s window, with the fault windows", fontsize=10)
    ax.grid(False)


def _quota(report: Report, ax: Axes) -> None:
    s = report.series
    per_min = 60.0 / s.bucket_s
    for p, col in s.calls.items():
        line = ax.plot(_centres(report), [v * per_min for v in col], label=f"{p} calls/min", marker=".", ms=4)
        quota = report.info.quotas_rpm.get(p)
        if quota:
            ax.axhline(quota, ls="--", lw=1, color=line[0].get_color(), label=f"{p} quota {quota:g} rpm")
    ax.set_ylabel("calls / min")
    ax.set_ylim(bottom=0)


#: name -> (title, draw, is a bucketed time series)
PLOTS: dict[str, tuple[str, Callable[[Report, Axes], None], bool]] = {
    "severity.png": ("Severity per window, with the fault windows", _severity, False),
    "latency.png": ("Request latency p50 / p95 / p99", _latency, True),
    "outcomes.png": ("Outcomes per bucket", _outcomes, True),
    "providers.png": ("Calls and errors per provider", _providers, True),
    "quota.png": ("Calls per minute against the gateway's quota", _quota, True),
    "breakers.png": ("Circuit breaker state", _breakers, False),
    "cache.png": ("Cache hit rate", _cache, True),
    "quality.png": ("Confidence, JSON error rate and correctness against gold", _quality, True),
}


#: plots of what only llmdrill's gateway says: left out of a target run's report, never drawn as zeros
_NEEDS: dict[str, str] = {"breakers.png": "breakers", "cache.png": "cache"}


def render_plots(report: Report) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    bucket = report.series.bucket_s
    unavailable = set(report.info.target.get("unavailable", ()))
    partial = partial_plots(report.info)
    for name, (title, draw, bucketed) in PLOTS.items():
        if _NEEDS.get(name) in unavailable:
            continue
        fig, ax = _figure(title)
        draw(report, ax)
        if name != "severity.png":
            _shade_faults(ax, report)
        if name in partial:
            _mark_partial(ax, report, partial[name], title)
        _legend(ax)
        ax.set_xlim(0, max(report.end_s / 60, 1e-6))
        ax.set_xlabel(
            f"scenario time (min) - {bucket:g} s buckets" if bucketed else "scenario time (min)", fontsize=8
        )
        buf = io.BytesIO()
        # fixed margins, not tight_layout: the time axes of all plots line up one under another
        fig.subplots_adjust(left=0.1, right=0.83, bottom=0.17, top=0.9)
        fig.savefig(buf, format="png")
        out[name] = buf.getvalue()
    return out
