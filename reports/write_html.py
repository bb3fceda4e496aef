"""``report.html``: the incident at a glance, in one self-contained file.

Verdict banner, fault windows over the severity band on a minute axis, key numbers, expectations,
the alert timeline on the same axis, and the plots — inline CSS, plots embedded as base64 PNG
``data:`` URIs, no script and no external URL, so it opens offline and as a CI artifact.  Pass and
fail are text badges, not emoji: a machine without an emoji font (headless CI browsers) shows boxes.
Every text from the run is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

from .evaluation import NO_DATA
from .expect import ExpectationResult
from .harness import detail_lines
from .html_timeline import TIMELINE_CSS, axis, fault_bars, fault_shading, severity_band, spans
from .partial import partial_plots
from .report import AlertSummary, Report
from .series import MIN_PERCENTILE_SAMPLES
from .target import UNAVAILABLE_STATUS, is_unknown
from .timeaxis import clock
from .write_correctness import ADDITION, correctness_html, readings_line
from .write_extras import counted, extras_html

__all__ = ["badge", "render_html"]

_CSS = (
    """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
.banner{padding:.8rem 1rem;border-radius:6px;font-size:1.3rem;font-weight:600;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
.overload{padding:.6rem 1rem;border-radius:6px;background:#fff3b0;border:1px solid #e0b000;margin:.6rem 0}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.72rem;font-weight:700;
color:#fff;letter-spacing:.03em}
.muted{color:#666;font-size:.85rem}
.nums{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.nums div{border:1px solid #ddd;border-radius:6px;padding:.4rem .8rem}
.nums b{display:block;font-size:1.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ddd;padding:.25rem .5rem;font-size:.85rem;text-align:left}
td.t{width:45%}td.nw{white-space:nowrap}th.t{padding:0 .5rem}
tr.bad td{background:#fdecea}tr.quiet td{color:#777}
.glance{margin:.4rem 0 1rem}
.headline{font-size:1.15rem}.headline.bad{color:#c62828}
img{max-width:100%;border:1px solid #eee;margin:.3rem 0}
"""
    + TIMELINE_CSS
)


def badge(passed: bool, yes: str = "PASS", no: str = "FAIL") -> str:
    colour = "#2e7d32" if passed else "#c62828"
    return f"<span class='badge' style='background:{colour}'>{yes if passed else no}</span>"


def _mark(e: ExpectationResult) -> str:
    # an expectation nobody could judge is neither a pass nor a fail
    return "<span class='badge' style='background:#757575'>UNKNOWN</span>" if is_unknown(e) else badge(e.passed)


def _secs(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def _alert_row(a: AlertSummary, report: Report) -> str:
    titles = [f"firing {clock(s)}–{clock(e)}" for s, e in a.intervals]
    bars = fault_shading(report.info.faults, report.end_s) + spans(a.intervals, report.end_s, "fire", titles)
    ttd = ", ".join(f"fault {i}: {'—' if t is None else f'{t:g} s'}" for i, t in a.time_to_detect_s)
    first = "—" if a.first_fired_s is None else f"{clock(a.first_fired_s)} ({a.first_fired_s:g} s)"
    state = badge(True, "FIRED") if a.fired else (a.status if a.status in (NO_DATA, UNAVAILABLE_STATUS) else "quiet")
    note = f"<div class='muted'>{escape(a.note)}</div>" if a.note else ""
    if a.origin != "runbook":
        note = f"<div class='muted'><b>{escape(ADDITION)}</b></div>" + note
    return (
        f"<tr class='{'' if a.fired else 'quiet'}'><td><code>{escape(a.rule)}</code>{note}</td>"
        f"<td>{escape(a.severity)}</td><td>{state}</td><td class='nw'>{first}</td>"
        f"<td class='nw'>{escape(ttd or '—')}</td>"
        f"<td class='t'><div class='tl'>{bars}</div></td></tr>"
    )


def _glance(report: Report) -> list[str]:
    info, sev, end = report.info, report.severity, report.end_s
    scale = (
        f" Live run at time scale {info.time_scale:g}: every time and latency here is scenario time."
        if info.mode == "live" and info.time_scale != 1.0
        else ""
    )
    return [
        f"<h2>Severity: {escape(sev.max)}</h2><p>{escape(sev.escalation)}.</p>",
        f"<p class='muted'>Reading: {escape(readings_line(report))}.</p>",
        "<div class='glance'>",
        fault_bars(info.faults, end) if info.faults else "",
        severity_band(sev.windows, end),
        axis(end),
        f"<div class='muted'>Severity per {sev.window_s:g} s window of scenario time; fault windows above. "
        f"Hover a window for its counts.{scale}</div></div>",
    ]


def render_html(report: Report, plots: Mapping[str, bytes] | None = None) -> str:
    info, r = report.info, report.requests
    ok = report.passed
    failed = report.failed_expectations
    why = f" — {len(failed)} of {len(report.expectations)} expectations failed" if failed else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>llmdrill {escape(info.scenario)}: {'PASSED' if ok else 'FAILED'}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<div class='banner {'pass' if ok else 'fail'}'>{'PASSED' if ok else 'FAILED'} — "
        f"{escape(info.scenario)}{escape(why)}</div>",
        f"<p class='muted'>mode {escape(info.mode)} · seed {escape(str(info.seed))} · "
        f"{report.end_s / 60:g} min of scenario time</p>",
        f"<p>{escape(info.description)}</p>" if info.description else "",
        (
            f"<div class='overload'><b>Harness overloaded.</b> {escape(report.harness.banner)}</div>"
            if report.harness.banner
            else ""
        ),
        (
            f"<p class='headline'><b>{escape(report.correctness.headline)}</b></p>"
            if report.correctness is not None
            else ""
        ),
        *_glance(report),
        *correctness_html(report),
    ]
    if not report.conservation.holds:
        problems = escape("; ".join(report.conservation.problems))
        parts.append(f"<p>{badge(False)} <b>Conservation broken:</b> {problems}</p>")
    lat, c = report.latency, report.correctness
    nums = [
        ("sent", str(r.sent)),
        ("succeeded", str(r.succeeded)),
        ("wrong answers", "—" if c is None or not c.overall.judged else str(c.overall.wrong)),
        ("correct vs gold", "—" if c is None or c.overall.rate is None else f"{c.overall.rate:.1%}"),
        ("failed", str(r.failed)),
        ("shed (429)", str(r.shed)),
        ("lost", str(r.lost_total)),
        ("fallback", counted(report, "fallback", r.fallback)),
        ("degraded", counted(report, "modes", r.degraded)),
        ("cache hits", counted(report, "cache", r.cache_hits)),
        ("p50 latency", _secs(lat.p50)),
        ("p95 latency", _secs(lat.p95)),
        ("p99 latency", _secs(lat.p99)),
        ("amplification", "—" if report.amplification.total is None else f"{report.amplification.total:.2f}"),
    ]
    if r.unsent:
        nums.insert(4, ("never sent", str(r.unsent)))
    parts.append("<div class='nums'>")
    parts += [f"<div>{escape(k)}<b>{escape(v)}</b></div>" for k, v in nums]
    parts.append(
        "</div><p class='muted'>Latency percentiles over "
        f"{lat.samples} answered request(s); sheds are counted apart, not timed.</p>"
    )
    parts.append("<h2>Harness</h2><ul>")
    parts += [f"<li>{escape(line)}</li>" for line in detail_lines(report.harness)]
    parts.append("</ul><h2>Expectations</h2>")
    if report.expectations:
        parts.append("<table><tr><th></th><th>expectation</th><th>observed</th><th>expected</th></tr>")
        for e in report.expectations:
            parts.append(
                f"<tr class='{'' if e.passed else 'bad'}'><td>{_mark(e)}</td>"
                f"<td><code>{escape(e.name)}</code></td><td>{escape(e.observed)}</td>"
                f"<td>{escape(e.expected or e.detail)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>No expectations declared.</p>")
    parts.append(
        "<h2>Alert timeline</h2><table><tr><th>rule</th><th>severity</th><th>state</th><th>first fired</th>"
        f"<th>time to detect</th><th class='t'>firing (red) over the fault windows (pink){axis(report.end_s, 6)}"
        "</th></tr>"
    )
    # fired rules first, in the order they fired: the story of the incident reads top-down
    fired = sorted((a for a in report.alerts if a.fired), key=lambda a: a.first_fired_s or 0.0)
    parts += [_alert_row(a, report) for a in fired + [a for a in report.alerts if not a.fired]]
    parts.append("</table>")
    parts += extras_html(report)
    if plots:
        parts.append(
            f"<h2>Plots</h2><p class='muted'>Time series use {report.series.bucket_s:g} s buckets of scenario "
            f"time; a latency percentile needs at least {MIN_PERCENTILE_SAMPLES} requests in its bucket.</p>"
        )
        partial = partial_plots(report.info)
        if partial:
            parts.append(
                "<p><b>Partial plots:</b> "
                + escape("; ".join(f"{k} from {p.from_s / 60:.3g} min ({p.why})" for k, p in sorted(partial.items())))
                + ": what a dead process supplied stops there (hatched in the plot), not measured after.</p>"
            )
        for name, png in plots.items():
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<img alt='{escape(name)}' src='data:image/png;base64,{data}'>")
    if report.data_problems:
        parts.append(f"<p><b>Data problems:</b> {escape('; '.join(report.data_problems))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
