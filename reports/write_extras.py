"""Two report sections some runs have: a drill of a target gateway, and a real Prometheus's verdicts.

- **Target** (``RunInfo.target``, ``llmdrill run --target``): which gateway was drilled, where the
  provider calls came from (the fakes), which figures are unavailable, the admin actions skipped.
- **Prometheus vs the harness** (``Report.prometheus``, ``prometheus-compare.json`` of ``run
  --prometheus``): per rule, fired or not and the first-fired times on both sides, agree or disagree
  with the reason the two can differ.  Disagreements come first and are counted in the heading:
  shown, never hidden.  A comparison that failed says why.

Rendering only: the JSON, Markdown and HTML writers call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .report import Report

__all__ = ["counted", "extras_dict", "extras_html", "extras_markdown", "prometheus_rows"]

_FIGURE_NAMES = {
    "breakers": "breaker states", "modes": "conservation/degraded modes", "cache": "cache hits",
    "fallback": "no-LLM fallback answers", "gateway_events": "the gateway's event log (gold probes)",
    "agent_time": "agent execution time", "validation": "validation verdicts",
    "gateway_metrics": "the gateway's /metrics", "admin_actions": "admin actions (not applied)",
    "stack_config": "the scenario's stack settings (they configure llmdrill's gateway)",
}


def counted(report: Report, figure: str, value: int) -> str:
    """A request count as shown: "n/a" when a target run cannot know it (never a 0 it did not see)."""
    if figure in report.info.target.get("unavailable", ()):
        return "n/a"
    return str(value)


def _when(side: Mapping[str, Any]) -> str:
    if not side.get("fired"):
        return "silent"
    first = side.get("first_fired_s")
    return "fired at " + (f"{float(first):g} s" if isinstance(first, int | float) else "?")


def prometheus_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The comparison's rows, disagreements first (then by rule)."""
    rows = [r for r in data.get("alerts", []) if isinstance(r, dict)]
    return sorted(rows, key=lambda r: (bool(r.get("agrees")), str(r.get("rule"))))


def _prometheus_heading(data: Mapping[str, Any]) -> str:
    if "error" in data:
        return "Prometheus vs the harness: no comparison"
    rows = prometheus_rows(data)
    bad = sum(not r.get("agrees") for r in rows)
    return (f"Prometheus vs the harness: {len(rows) - bad} of {len(rows)} rules agree"
            + (f", {bad} disagree" if bad else ""))


def _target_lines(target: Mapping[str, Any]) -> list[str]:
    unavailable = [_FIGURE_NAMES.get(str(u), str(u)) for u in target.get("unavailable", [])]
    lines = [
        f"Drilled {target.get('url')} (model `{target.get('model')}`): a gateway that is not llmdrill's. "
        "Latency, outcomes, correctness, severity, amplification and the call-based alerts are measured "
        "from outside; the provider calls are the ones the fakes saw (a call the proxy refused or cut never "
        "reached a fake; a latency is the fake's own).",
        "Unavailable (never guessed; an expectation that needs one reads unknown): " + ", ".join(unavailable) + ".",
    ]
    skipped = target.get("skipped_admin_actions") or []
    if skipped:
        lines.append(f"{len(skipped)} admin action(s) of the scenario were not applied: "
                     + "; ".join(f"at {a.get('at_s')} s {a.get('body')}" for a in skipped) + ".")
    return lines


def extras_dict(report: Report) -> dict[str, Any]:
    return {"target": dict(report.info.target) or None, "prometheus": report.prometheus}


def extras_markdown(report: Report) -> list[str]:
    lines: list[str] = []
    if report.info.target:
        lines += ["", "### Target gateway", ""] + [f"- {line}" for line in _target_lines(report.info.target)]
    data = report.prometheus
    if data is not None:
        lines += ["", f"### {_prometheus_heading(data)}", ""]
        if "error" in data:
            lines.append(f"⚠️ {data['error']}")
        else:
            lines += [f"First-fired tolerance: one scrape plus one evaluation interval plus the harness's step "
                      f"(scrape interval {data.get('interval_s')} s, scenario seconds).", "",
                      "| | rule | harness | prometheus | why they can differ |", "|---|---|---|---|---|"]
            for r in prometheus_rows(data):
                mark = "✅ agree" if r.get("agrees") else "❌ **disagree**"
                note = str(r.get("note") or "").replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {mark} | `{r.get('rule')}` | {_when(r.get('harness', {}))} | "
                             f"{_when(r.get('prometheus', {}))} | {note} |")
            only = data.get("prometheus_only") or []
            if only:
                lines += ["", "Fired in Prometheus only (no harness rule): " + ", ".join(f"`{a}`" for a in only)]
    return lines


def extras_html(report: Report) -> list[str]:
    parts: list[str] = []
    if report.info.target:
        parts.append("<h2>Target gateway</h2><ul>")
        parts += [f"<li>{escape(line)}</li>" for line in _target_lines(report.info.target)]
        parts.append("</ul>")
    data = report.prometheus
    if data is not None:
        parts.append(f"<h2>{escape(_prometheus_heading(data))}</h2>")
        if "error" in data:
            parts.append(f"<p class='bad'>{escape(str(data['error']))}</p>")
            return parts
        parts.append("<table><tr><th></th><th>rule</th><th>harness</th><th>prometheus</th>"
                     "<th>why they can differ</th></tr>")
        for r in prometheus_rows(data):
            agrees = bool(r.get("agrees"))
            parts.append(
                f"<tr class='{'' if agrees else 'bad'}'><td>{'agree' if agrees else '<b>DISAGREE</b>'}</td>"
                f"<td><code>{escape(str(r.get('rule')))}</code></td><td>{escape(_when(r.get('harness', {})))}</td>"
                f"<td>{escape(_when(r.get('prometheus', {})))}</td><td>{escape(str(r.get('note') or ''))}</td></tr>")
        parts.append("</table>")
        only = data.get("prometheus_only") or []
        if only:
            parts.append(f"<p>Fired in Prometheus only (no harness rule): {escape(', '.join(map(str, only)))}</p>")
    return parts
