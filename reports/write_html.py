"""``report.html``: the incident at a glance, in one self-contained file.

Verdict banner, severity band, key numbers, expectations, alert timeline and the plots — inline CSS,
plots embedded as base64 PNG ``data:`` URIs, no script and no external URL, so it opens offline and as
a CI artifact.  Every text from the run is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

from .report import Report

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
.banner{padding:.8rem 1rem;border-radius:6px;font-size:1.3rem;font-weight:600;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
.band{display:flex;height:1.4rem;margin:.4rem 0 1rem;border:1px solid #ccc}
.band div{flex:1;font-size:.7rem;text-align:center;line-height:1.4rem}
.none{background:#d9f2d9}.P4{background:#fff3b0}.P3{background:#ffc870}.P2{background:#ff8a5c}
.P1{background:#d62728;color:#fff}
.nums{display:flex;flex-wrap:wrap;gap:.6rem}
.nums div{border:1px solid #ddd;border-radius:6px;padding:.4rem .8rem}
.nums b{display:block;font-size:1.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ddd;padding:.25rem .5rem;font-size:.85rem}
tr.bad td{background:#fdecea}.tl{position:relative;height:.9rem;background:#f3f3f3;min-width:300px}
.tl span{position:absolute;top:0;bottom:0;background:#e53935}
img{max-width:100%;border:1px solid #eee;margin:.3rem 0}
"""


def _pct(x: float, end: float) -> float:
    return 0.0 if end <= 0 else max(0.0, min(100.0, 100.0 * x / end))


def render_html(report: Report, plots: Mapping[str, bytes] | None = None) -> str:
    info, r, sev = report.info, report.requests, report.severity
    ok = report.passed
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>llmdrill {escape(info.scenario)}</title><style>{_CSS}</style></head><body>",
        f"<div class='banner {'pass' if ok else 'fail'}'>{'PASSED' if ok else 'FAILED'} — "
        f"{escape(info.scenario)} ({escape(info.mode)}, seed {escape(str(info.seed))})</div>",
        f"<p>{escape(info.description)}</p>",
        f"<h2>Severity: {escape(sev.max)}</h2><p>{escape(sev.escalation)}</p><div class='band'>",
    ]
    for w in sev.windows:
        parts.append(
            f"<div class='{escape(w.level)}' title='{w.start_s:g}-{w.end_s:g}s: {w.failed}/"
            f"{w.requests} failed'>{'' if w.level == 'none' else escape(w.level)}</div>"
        )
    parts.append("</div><div class='nums'>")
    lat = report.latency
    nums = [
        ("sent", str(r.sent)),
        ("succeeded", str(r.succeeded)),
        ("failed", str(r.failed)),
        ("lost", str(r.lost_total)),
        ("fallback", str(r.fallback)),
        ("degraded", str(r.degraded)),
        ("cache hits", str(r.cache_hits)),
        ("p95 latency", "—" if lat.p95 is None else f"{lat.p95:.2f}s"),
        ("p99 latency", "—" if lat.p99 is None else f"{lat.p99:.2f}s"),
        ("amplification", "—" if report.amplification.total is None else f"{report.amplification.total:.2f}"),
    ]
    parts += [f"<div>{escape(k)}<b>{escape(v)}</b></div>" for k, v in nums]
    parts.append("</div>")
    if not report.conservation.holds:
        parts.append(f"<p><b>Conservation broken:</b> {escape('; '.join(report.conservation.problems))}</p>")
    parts.append(
        "<h2>Expectations</h2><table><tr><th></th><th>expectation</th><th>observed</th><th>expected</th></tr>"
    )
    for e in report.expectations:
        parts.append(
            f"<tr class='{'' if e.passed else 'bad'}'><td>{'✅' if e.passed else '❌'}</td>"
            f"<td><code>{escape(e.name)}</code></td><td>{escape(e.observed)}</td>"
            f"<td>{escape(e.expected or e.detail)}</td></tr>"
        )
    parts.append(
        "</table><h2>Alert timeline</h2><table><tr><th>rule</th><th>severity</th><th>first fired</th>"
        "<th>time to detect</th><th>firing</th></tr>"
    )
    for a in report.alerts:
        bars = "".join(
            f"<span style='left:{_pct(s, report.end_s):.2f}%;"
            f"width:{max(_pct(e - s, report.end_s), 0.4):.2f}%'></span>"
            for s, e in a.intervals
        )
        ttd = ", ".join(f"fault {i}: {'—' if t is None else f'{t:g}s'}" for i, t in a.time_to_detect_s)
        first = "—" if a.first_fired_s is None else f"{a.first_fired_s:g}s"
        parts.append(
            f"<tr><td><code>{escape(a.rule)}</code></td><td>{escape(a.severity)}</td><td>{first}</td>"
            f"<td>{escape(ttd or '—')}</td><td><div class='tl'>{bars}</div></td></tr>"
        )
    parts.append("</table>")
    if plots:
        parts.append("<h2>Plots</h2>")
        for name, png in plots.items():
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<img alt='{escape(name)}' src='data:image/png;base64,{data}'>")
    if report.data_problems:
        parts.append(f"<p><b>Data problems:</b> {escape('; '.join(report.data_problems))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
