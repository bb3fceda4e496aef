"""Is the twin faithful to the live stack on a scenario? Two ``report.json`` in, the verdict per figure out.

Pure.  The bar is issue 9's: p50 and p95 within 15 % of live, the error rate
within 2 points, the same alerts fired with time-to-detect within one window
of the rule, and the same maximum severity.  Tolerances are constants here,
never loosened per scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LATENCY_TOLERANCE", "Check", "judge", "render_checks"]

LATENCY_TOLERANCE = 0.15
ERROR_POINTS = 0.02
#: below this both latencies are "instant" (cache hits, 0.000 s): a relative difference is meaningless
_INSTANT_S = 0.01


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    live: str
    sim: str
    ok: bool
    bar: str


def _latency(name: str, live: float, sim: float) -> Check:
    if max(live, sim) < _INSTANT_S:
        ok, diff = True, "both instant"
    else:
        rel = abs(sim - live) / live if live > 0 else float("inf")
        ok, diff = rel <= LATENCY_TOLERANCE, f"{rel * 100:+.0f} %" if live > 0 else "live 0"
        if live > 0:
            diff = f"{(sim - live) / live * 100:+.0f} %"
    return Check(name, f"{live:.3f} s", f"{sim:.3f} s", ok, f"within {LATENCY_TOLERANCE * 100:g} % ({diff})")


def _fired(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {a["rule"]: a for a in report.get("alerts", ()) if a.get("fired")}


def judge(live: Mapping[str, Any], sim: Mapping[str, Any]) -> list[Check]:
    checks = [
        _latency("p50", float(live["latency_s"]["p50"] or 0), float(sim["latency_s"]["p50"] or 0)),
        _latency("p95", float(live["latency_s"]["p95"] or 0), float(sim["latency_s"]["p95"] or 0)),
    ]
    le, se = float(live["rates"].get("rate(failed)", 0.0)), float(sim["rates"].get("rate(failed)", 0.0))
    checks.append(Check("error rate", f"{le * 100:.2f} %", f"{se * 100:.2f} %", abs(le - se) <= ERROR_POINTS,
                        f"within {ERROR_POINTS * 100:g} points ({(se - le) * 100:+.2f})"))
    lf, sf = _fired(live), _fired(sim)
    checks.append(Check("alerts fired", ", ".join(sorted(lf)) or "none", ", ".join(sorted(sf)) or "none",
                        set(lf) == set(sf), "the same set"))
    for rule in sorted(set(lf) & set(sf)):
        window = float(lf[rule].get("window_s") or 60.0)
        lt, st = lf[rule].get("time_to_detect_s") or {}, sf[rule].get("time_to_detect_s") or {}
        for fault in sorted(set(lt) | set(st)):
            a, b = lt.get(fault), st.get(fault)
            ok = (a is None and b is None) or (a is not None and b is not None
                                               and abs(float(a) - float(b)) <= window)
            checks.append(Check(f"time to detect {rule} (fault {fault})", _seconds(a), _seconds(b), ok,
                                f"within one window ({window:g} s)"))
    lv, sv = str(live["severity"]["max"]), str(sim["severity"]["max"])
    checks.append(Check("max severity", lv, sv, lv == sv, "the same"))
    return checks


def _seconds(value: Any) -> str:
    return "—" if value is None else f"{float(value):g} s"


def render_checks(checks: list[Check]) -> str:
    rows = [("figure", "live", "sim", "bar", "verdict")] + [
        (c.name, c.live, c.sim, c.bar, "ok" if c.ok else "DIFFERS") for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
