"""Correctness against gold and the two severity readings, rendered for each writer.

One place for what ``report.json``, ``report.md`` and ``report.html`` say about them, so the three say
the same (``reports.correctness`` computes; this only renders).  Pure string building; every text
from the run is escaped for its format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .correctness import Correctness, Share, WrongExample
from .report import AlertSummary, Report
from .severity import READING_TEXT, SeverityTimeline

__all__ = [
    "ADDITION",
    "addition_mark",
    "correctness_dict",
    "correctness_html",
    "correctness_markdown",
    "readings_line",
    "severity_dict",
]

ADDITION = "addition to the runbook, not one of its ten"


def addition_mark(a: AlertSummary) -> str:
    return f" ({ADDITION})" if a.origin != "runbook" else ""


def _pct(share: Share) -> str:
    return "—" if share.rate is None else f"{share.rate:.1%}"


def _entities(e: Mapping[str, str | None] | None) -> str:
    if e is None:
        return "—"
    return ", ".join(f"{k} {v if v is not None else '∅'}" for k, v in e.items())


def _prompt(x: WrongExample) -> str:
    return x.prompt if x.prompt is not None else f"(prompt {x.prompt_id or '?'})"


def _served_from(x: WrongExample) -> str:
    return x.source if x.provider is None or x.source == "cache" else f"{x.source} ({x.provider})"


def readings_line(report: Report) -> str:
    """Which reading severity used, and the other beside it."""
    sev, other = report.severity, report.severity_other
    text = f"severity {sev.max} {READING_TEXT[sev.reading]}"
    if other is not None:
        text += f"; {other.max} {READING_TEXT[other.reading]}"
    return text


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 6)


def _share_dict(s: Share) -> dict[str, Any]:
    return {"judged": s.judged, "correct": s.correct, "wrong": s.wrong, "rate": _num(s.rate)}


def _shares(shares: Sequence[Share]) -> dict[str, Any]:
    return {s.label: _share_dict(s) for s in shares}


def correctness_dict(c: Correctness | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "headline": c.headline,
        "overall": _share_dict(c.overall),
        "by_phase": _shares(c.by_phase),
        "by_provider": _shares(c.by_provider),
        "by_source": _shares(c.by_source),
        "gold_probe": {**_share_dict(c.probe), "unanswered": c.probe_unanswered},
        "wrong_examples": [
            {
                "request_id": x.request_id,
                "t_s": _num(x.t_s),
                "prompt_id": x.prompt_id,
                "prompt": x.prompt,
                "gold": dict(x.gold) if x.gold is not None else None,
                "served": dict(x.served) if x.served is not None else None,
                "source": x.source,
                "provider": x.provider,
            }
            for x in c.examples
        ],
    }


def _timeline_dict(t: SeverityTimeline) -> dict[str, Any]:
    return {
        "reading": t.reading,
        "reading_text": READING_TEXT[t.reading],
        "max": t.max,
        "escalation": t.escalation,
        "levels": [w.level for w in t.windows],
    }


def severity_dict(report: Report) -> dict[str, Any]:
    """The reading used and the other one, for ``report.json``'s ``severity``."""
    out: dict[str, Any] = {"reading": report.severity.reading, "reading_text": READING_TEXT[report.severity.reading]}
    if report.severity_other is not None:
        out["other_reading"] = _timeline_dict(report.severity_other)
    return out


def _md_row(s: Share) -> str:
    return f"| {s.label.replace('|', '/')} | {_pct(s)} | {s.correct} | {s.wrong} | {s.judged} |"


def correctness_markdown(report: Report) -> list[str]:
    c = report.correctness
    if c is None:
        return []
    lines = ["### Correctness against gold", ""]
    if c.overall.judged:
        lines += ["| answers | share correct | correct | wrong | judged |", "|---|---|---|---|---|", _md_row(c.overall)]
        for title, rows in (("phase", c.by_phase), ("provider", c.by_provider), ("source", c.by_source)):
            lines += [_md_row(Share(f"{title}: {s.label}", s.judged, s.correct)) for s in rows]
        lines.append("")
    if c.probe.judged or c.probe_unanswered:
        lines += [
            f"Gold probe: {_pct(c.probe)} of {c.probe.judged} judged probe(s) correct"
            + (f", {c.probe_unanswered} got no answer" if c.probe_unanswered else "")
            + ".",
            "",
        ]
    if c.examples:
        lines += ["Wrong answers (examples):", "", "| prompt | gold | served | from |", "|---|---|---|---|"]
        lines += [
            "| "
            + " | ".join(
                t.replace("|", "\\|").replace("\n", " ")
                for t in (_prompt(x), _entities(x.gold), _entities(x.served), _served_from(x))
            )
            + " |"
            for x in c.examples
        ]
        lines.append("")
    return lines


def _html_row(s: Share, label: str) -> str:
    return (
        f"<tr><td>{escape(label)}</td><td><b>{_pct(s)}</b></td><td>{s.correct}</td><td>{s.wrong}</td>"
        f"<td>{s.judged}</td></tr>"
    )


def correctness_html(report: Report) -> list[str]:
    c = report.correctness
    if c is None:
        return []
    bad = c.overall.rate is not None and c.overall.wrong > 0
    parts = [
        "<h2>Correctness against gold</h2>",
        f"<p class='{'headline bad' if bad else 'headline'}'><b>{escape(c.headline)}</b></p>",
    ]
    if c.overall.judged:
        parts.append("<table><tr><th></th><th>share correct</th><th>correct</th><th>wrong</th><th>judged</th></tr>")
        parts.append(_html_row(c.overall, "overall"))
        for title, rows in (("phase", c.by_phase), ("provider", c.by_provider), ("source", c.by_source)):
            parts += [_html_row(s, f"{title}: {s.label}") for s in rows]
        parts.append("</table>")
    if c.probe.judged or c.probe_unanswered:
        extra = f", {c.probe_unanswered} got no answer" if c.probe_unanswered else ""
        parts.append(
            f"<p>Gold probe: {_pct(c.probe)} of {c.probe.judged} judged probe(s) correct{escape(extra)}.</p>"
        )
    if c.examples:
        parts.append(
            "<p>Wrong answers (examples):</p><table><tr><th>prompt</th><th>gold</th><th>served</th>"
            "<th>from</th></tr>"
        )
        parts += [
            f"<tr class='bad'><td>{escape(_prompt(x))}</td><td>{escape(_entities(x.gold))}</td>"
            f"<td>{escape(_entities(x.served))}</td><td>{escape(_served_from(x))}</td></tr>"
            for x in c.examples
        ]
        parts.append("</table>")
    return parts
