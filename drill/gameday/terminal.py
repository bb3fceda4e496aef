"""The dashboard for a terminal: the same panels as the web page, from the same ``/api/panels``."""

from __future__ import annotations

import threading
from typing import Any, TextIO

import httpx

__all__ = ["render_text", "watch"]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}s"


def render_text(d: dict[str, Any]) -> str:
    """One screen of text: severity, alerts with their type and mitigations, the panels, the timeline's tail."""
    if d.get("status") == "starting":
        return "game day starting…"
    sev = d["severity"]
    lat = d["latency"]
    lines = [
        f"{d['scenario']}  t={d['t_s']:.0f}s  severity {sev['now']} (max {sev['max']}) — {sev['escalation']}",
        f"latency p50 {_s(lat['p50'])}  p95 {_s(lat['p95'])}  p99 {_s(lat['p99'])}  (alert p95 > {lat['threshold']}s)"
        f"   confidence {d['confidence_avg']['value'] if d['confidence_avg']['value'] is not None else '–'}"
        f"   timeouts {_pct(d['timeout_rate']['value'])}   cache hits {_pct(d['cache_hit_rate']['value'])}",
        "errors   " + "  ".join(f"{p} {_pct(v['rate'])}" for p, v in d["error_rate"].items()),
        "req/min  " + "  ".join(f"{p} {v['per_min']}/{v['quota'] if v['quota'] is not None else '∞'}"
                                for p, v in d["requests_per_min"].items()),
        "breakers " + "  ".join(f"{p} {s}" for p, s in d["breakers"].items()),
        "faults   " + ("  ".join(f"{f['id']} {f['label']}" for f in d["active_faults"]) or "none"),
    ]
    if d["alerts"]:
        for a in d["alerts"]:
            lines.append(f"ALERT {a['rule']} ({a['condition']}) → {a['type_title']}")
            lines += [f"      {m['title']}  [{m['how']}]" for m in a["mitigations"]]
    else:
        lines.append("alerts   none")
    lines.append("timeline:")
    lines += [f"  {e['t_s']:7.0f}s [{e['kind']}] {e['text']}" + (f" — {e['who']}" if e["who"] != "llmdrill" else "")
              for e in d["timeline"][-8:]]
    if d.get("error"):
        lines.append(f"(dashboard: {d['error']})")
    return "\n".join(lines)


def watch(url: str, done: threading.Event, out: TextIO, period_s: float = 2.0) -> None:
    """Redraw the panels every ``period_s`` until ``done`` is set (or the game day goes away)."""
    tty = out.isatty()
    with httpx.Client(trust_env=False, timeout=5) as http:
        while not done.is_set():
            try:
                text = render_text(http.get(url + "/api/panels").json())
            except (httpx.HTTPError, ValueError):
                text = "(the game day is not answering; stopped?)"
            except (KeyError, TypeError) as exc:
                text = f"(unexpected panels: {exc})"
            out.write(("\x1b[H\x1b[2J" if tty else "\n") + text + "\n")
            out.flush()
            if done.wait(period_s):
                return
