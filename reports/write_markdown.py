"""``report.md``: the report as a pull-request comment.

Short on purpose: a verdict line, the expectations, the alerts that fired, severity and the request
counts; everything else (description, the quiet rules, the severity band, amplification, data
problems) folds into a ``<details>`` block.  Emoji marks stay: GitHub renders them.
"""

from __future__ import annotations

from .evaluation import NO_DATA
from .harness import detail_lines
from .partial import partial_plots
from .report import Report
from .target import UNAVAILABLE_STATUS, is_unknown
from .write_correctness import addition_mark, correctness_markdown, readings_line
from .write_extras import counted, extras_markdown

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    # a pipe or newline inside a cell would break the table
    return text.replace("|", "\\|").replace("\n", " ")


def _secs(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f} s"


def _ttd(detections: tuple[tuple[int, float | None], ...]) -> str:
    return ", ".join(f"fault {i}: {'—' if t is None else f'{t:g} s'}" for i, t in detections) or "—"


def _wrong(report: Report) -> str:
    # among the succeeded: a 2xx that gave the wrong appointment
    c = report.correctness
    return "—" if c is None or not c.overall.judged else str(c.overall.wrong)


def render_markdown(report: Report) -> str:
    info, r = report.info, report.requests
    failed = report.failed_expectations
    verdict = "✅ **PASSED**" if report.passed else "❌ **FAILED**"
    why = []
    if failed:
        why.append(f"{len(failed)} of {len(report.expectations)} expectations failed")
    if not report.conservation.holds:
        why.append("request conservation broken")
    sev = report.severity
    lines = [
        f"## llmdrill: `{info.scenario}` — {verdict}",
        "",
        # the heading already says the verdict; this line says why, then the run at a glance
        f"{'; '.join(why) or f'all {len(report.expectations)} expectations hold'} · severity **{sev.max}** · "
        f"{r.sent} requests sent · mode `{info.mode}` · seed `{info.seed}`",
        "",
    ]
    if report.correctness is not None:
        # the figure no runbook alert shows: a fast 200 with the wrong appointment is a failed user
        caught = ", ".join(f"`{a.rule}`" for a in report.alerts if a.fired) or "no alert fired"
        lines += [
            f"**{_cell(report.correctness.headline)}** · {_cell(readings_line(report))} · alerts: {caught}",
            "",
        ]
    if report.harness.banner:
        lines += [f"⚠️ **{_cell(report.harness.banner)}**", ""]
    partial = partial_plots(info)
    if partial:
        where = "; ".join(f"`{k}` from {p.from_s / 60:.3g} min" for k, p in sorted(partial.items()))
        died = "; ".join(sorted({p.why for p in partial.values()}))
        lines += [f"⚠️ **Partial plots** ({_cell(died)}): {where}: not measured from then on.", ""]
    lines += correctness_markdown(report)
    lines += [
        "### Expectations",
        "",
    ]
    if report.expectations:
        lines += ["| | expectation | observed | expected |", "|---|---|---|---|"]
        for e in report.expectations:
            mark = "❔" if is_unknown(e) else "✅" if e.passed else "❌"
            observed = e.observed if e.passed or not e.detail or e.expected else f"{e.observed}: {e.detail}"
            lines.append(f"| {mark} | `{_cell(e.name)}` | {_cell(observed)} | {_cell(e.expected)} |")
    else:
        lines.append("_No expectations declared._")
    fired = sorted((a for a in report.alerts if a.fired), key=lambda a: a.first_fired_s or 0.0)
    quiet = [a for a in report.alerts if not a.fired and a.status not in (NO_DATA, UNAVAILABLE_STATUS)]
    no_data = [a for a in report.alerts if a.status in (NO_DATA, UNAVAILABLE_STATUS)]
    runbook = sum(a.origin == "runbook" for a in report.alerts)
    added = len(report.alerts) - runbook
    of = f"{runbook} runbook rules" + (f" + {added} added" if added else "")
    lines += ["", f"### Alerts fired ({len(fired)} of {of})", ""]
    if fired:
        lines += ["| rule | severity | first fired | time to detect |", "|---|---|---|---|"]
        for a in fired:
            first = "—" if a.first_fired_s is None else f"{a.first_fired_s:g} s"
            lines.append(
                f"| 🔔 `{a.rule}`{addition_mark(a)} | {a.severity} | {first} | {_ttd(a.time_to_detect_s)} |"
            )
    else:
        lines.append("_No runbook alert fired._")
    # why a rule said what it said, where the bare verdict would mislead (e.g. silenced by a breaker)
    noted = [a for a in report.alerts if a.note and a.status != NO_DATA]
    if noted:
        lines += [""] + [f"- `{a.rule}`: {_cell(a.note)}" for a in noted]
    lines += extras_markdown(report)
    lines += [
        "",
        f"### Severity: **{sev.max}** — {sev.escalation.removeprefix(sev.max).lstrip(' -:')}",
        "",
        f"Reading: {_cell(readings_line(report))}.",
        "",
        "### Requests",
        "",
        "| sent | succeeded | wrong answers | failed | shed | lost | fallback | degraded | cache hits "
        "| p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {r.sent} | {r.succeeded} | {_wrong(report)} | {r.failed} | {r.shed} | {r.lost_total} | "
        f"{counted(report, 'fallback', r.fallback)} | {counted(report, 'modes', r.degraded)} | "
        f"{counted(report, 'cache', r.cache_hits)} | {_secs(report.latency.p50)} | {_secs(report.latency.p95)} | "
        f"{_secs(report.latency.p99)} |",
        "",
        f"Latency over {report.latency.samples} answered request(s) (sheds are counted apart, not timed).",
        "",
        "### Harness",
        "",
        *(f"- {_cell(line)}" for line in detail_lines(report.harness)),
    ]
    if not report.conservation.holds:
        lines += ["", "⚠️ **Conservation broken**: " + _cell("; ".join(report.conservation.problems))]
    if report.data_problems:
        lines += ["", f"⚠️ {len(report.data_problems)} data problem(s): see details."]
    lines += ["", "<details><summary>Details</summary>", ""]
    if info.description:
        lines += [f"> {_cell(info.description)}", ""]
    if info.faults:
        lines += ["Faults (scenario time):", ""]
        lines += [
            f"- fault {f.index}: {_cell(f.label or '—')} on `{f.provider}`, {f.at_s:g} s – "
            f"{'end' if f.until_s is None else f'{f.until_s:g} s'}"
            for f in info.faults
        ]
        lines.append("")
    marks = {"none": "·", "P4": "4", "P3": "3", "P2": "2", "P1": "1", "insufficient data": "_"}
    band = "".join(marks.get(w.level, "?") for w in sev.windows)
    lines += [f"Severity per {sev.window_s:g} s window: `{band}` (`_`: too few requests to judge)", ""]
    amp = report.amplification
    if amp.total is not None:
        per = ", ".join(f"{p} {v:.2f}" for p, v in amp.by_provider if v is not None)
        lines += [f"Upstream amplification: **{amp.total:.2f}** calls per request ({per}).", ""]
    if r.unsent:
        lines += [f"{r.unsent} scheduled request(s) were never sent.", ""]
    if quiet:
        lines += [
            "Rules that did not fire: "
            + ", ".join(f"`{a.rule}` ({a.severity}{'; added' if a.origin != 'runbook' else ''})" for a in quiet)
            + ".",
            "",
        ]
    if no_data:
        lines += [
            "Rules with no data (never enough samples to judge, which is not 'did not fire'): "
            + ", ".join(f"`{a.rule}`{addition_mark(a)}{' (unavailable)' if a.status == UNAVAILABLE_STATUS else ''}"
                        for a in no_data)
            + ".",
            "",
        ]
    if report.data_problems:
        lines += ["Data problems:", ""] + [f"- {_cell(p)}" for p in report.data_problems] + [""]
    lines.append("</details>")
    return "\n".join(lines) + "\n"
