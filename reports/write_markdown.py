"""``report.md``: the report as a pull-request comment (verdict first, then what failed and why)."""

from __future__ import annotations

from .report import Report

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    # a pipe or newline inside a cell would break the table
    return text.replace("|", "\\|").replace("\n", " ")


def _secs(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f} s"


def render_markdown(report: Report) -> str:
    info, r = report.info, report.requests
    failed = report.failed_expectations
    verdict = "✅ **PASSED**" if report.passed else "❌ **FAILED**"
    why = []
    if failed:
        why.append(f"{len(failed)} of {len(report.expectations)} expectations failed")
    if not report.conservation.holds:
        why.append("request conservation broken")
    lines = [
        f"## llmdrill: `{info.scenario}` — {verdict}",
        "",
        f"{verdict}{': ' + '; '.join(why) if why else ''} · mode `{info.mode}` · seed `{info.seed}` · "
        f"severity **{report.severity.max}** · {r.sent} requests sent",
    ]
    if info.description:
        lines += ["", f"> {_cell(info.description)}"]
    lines += ["", "### Expectations", ""]
    if report.expectations:
        lines += ["| | expectation | observed | expected |", "|---|---|---|---|"]
        for e in report.expectations:
            mark = "✅" if e.passed else "❌"
            observed = e.observed if e.passed or not e.detail or e.expected else f"{e.observed}: {e.detail}"
            lines.append(f"| {mark} | `{_cell(e.name)}` | {_cell(observed)} | {_cell(e.expected)} |")
    else:
        lines.append("_No expectations declared._")
    lines += [
        "",
        "### Runbook alerts",
        "",
        "| rule | severity | fired | first fired | time to detect |",
        "|---|---|---|---|---|",
    ]
    for a in report.alerts:
        ttd = (
            ", ".join(f"fault {i}: {'—' if t is None else f'{t:g} s'}" for i, t in a.time_to_detect_s) or "—"
        )
        first = "—" if a.first_fired_s is None else f"{a.first_fired_s:g} s"
        lines.append(f"| `{a.rule}` | {a.severity} | {'🔔 yes' if a.fired else 'no'} | {first} | {ttd} |")
    sev = report.severity
    band = "".join({"none": "·", "P4": "4", "P3": "3", "P2": "2", "P1": "1"}[w.level] for w in sev.windows)
    lines += [
        "",
        "### Severity",
        "",
        f"Maximum **{sev.max}** — {sev.escalation}.",
        "",
        f"Per {sev.window_s:g} s window: `{band}`",
        "",
        "### Requests",
        "",
        "| sent | succeeded | failed | lost | fallback | degraded | cache hits | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {r.sent} | {r.succeeded} | {r.failed} | {r.lost_total} | {r.fallback} | {r.degraded} | "
        f"{r.cache_hits} | {_secs(report.latency.p50)} | {_secs(report.latency.p95)} | "
        f"{_secs(report.latency.p99)} |",
    ]
    amp = report.amplification
    if amp.total is not None:
        per = ", ".join(f"{p} {v:.2f}" for p, v in amp.by_provider if v is not None)
        lines += ["", f"Upstream amplification: **{amp.total:.2f}** calls per request ({per})."]
    if not report.conservation.holds:
        lines += ["", "⚠️ **Conservation broken**: " + "; ".join(report.conservation.problems)]
    if report.data_problems:
        lines += ["", "⚠️ Data problems: " + "; ".join(report.data_problems)]
    return "\n".join(lines) + "\n"
