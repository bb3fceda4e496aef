"""The runbook's root-cause questions (Recuperación, Paso 1: "Preguntas Clave") answered from evidence.

What the harness holds: the provider calls' error codes, the traffic before and during the faults, the
configuration acts, whether the faults ended, and ``insufficient_quota`` answers.  Where it holds none
(code and prompt changes), the answer says so and leaves the question to the team.  Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from reports.records import CallRecord, RequestRecord
from reports.report import Report

from .act_log import Act

__all__ = ["root_cause"]


def _failures(calls: Sequence[CallRecord]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for c in calls:
        if c.result != "ok":
            out.setdefault(c.provider, Counter())[f"{c.status}" if c.status else c.result] += 1
    return out


def _rate(start: float, end: float, requests: Sequence[RequestRecord]) -> float | None:
    n = sum(1 for r in requests if start <= r.intended_s < end)
    return n / (end - start) if end > start else None



def root_cause(report: Report, calls: Sequence[CallRecord], requests: Sequence[RequestRecord],
                acts: Sequence[Act]) -> tuple[tuple[str, str], ...]:
    faults = report.info.faults
    failures = _failures(calls)
    first = min((f.at_s for f in faults), default=None)
    provider_side = [a for a in acts if a.act == "inject" and "toxic" not in (a.detail.get("entry") or {})]
    network_side = [a for a in acts if a.act == "inject" and "toxic" in (a.detail.get("entry") or {})]
    codes = "; ".join(f"{p}: " + ", ".join(f"{n} × {k}" for k, n in c.most_common(4))
                      for p, c in sorted(failures.items())) or "no provider call failed"
    q1 = f"Provider error codes seen by the gateway: {codes}."
    if provider_side:
        q1 += " The faults were on the provider side (injected into the providers: " + \
              ", ".join(a.summary for a in provider_side) + ")."
    if network_side:
        q1 += " Network faults sat between us and the provider: " + ", ".join(a.summary for a in network_side) + "."
    if first is not None and first > 0:
        before = _rate(0.0, first, requests)
        during = _rate(first, report.end_s, requests)
        traffic = (f"Traffic before the first fault {before:.2f} req/s, after it {during:.2f} req/s: "
                   + ("no traffic change." if before and during and abs(during - before) <= 0.2 * before
                      else "the traffic changed — check it as a cause."))
    else:
        traffic = "No fault window to compare traffic before and during."
    actions = [a.summary for a in acts if a.act == "action"]
    q2 = traffic + (" Configuration changes made during the game day: " + "; ".join(actions) + "."
                    if actions else " No configuration change before the fault.") + \
        " Code and prompt changes: the harness has no evidence; ask the team."
    quota_exhausted = sum(1 for c in calls if c.result == "quota_exhausted")
    rate_limited = sum(1 for c in calls if c.result == "rate_limited")
    ended = [f for f in faults if f.until_s is not None and f.until_s < report.end_s]
    open_ = [f for f in faults if f.until_s is None or f.until_s >= report.end_s]
    q3 = (f"{len(ended)} of {len(faults)} fault(s) ended or were cleared before the stop"
          + (f"; {rate_limited} rate-limit 429(s) with a retry window (transient by nature)" if rate_limited else "")
          + ".")
    q4 = (f"{quota_exhausted} call(s) answered 429 insufficient_quota: an account limit (spend cap or plan) — "
          "permanent until the account changes." if quota_exhausted else
          "No insufficient_quota answer: no sign of an account limit or pricing change.")
    if open_:
        q4 += " Still active at the stop: " + ", ".join(f"fault {f.index} ({f.label})" for f in open_) + "."
    return (("¿Es problema del proveedor?", q1), ("¿Es problema nuestro?", q2), ("¿Es transitorio?", q3),
            ("¿Es permanente?", q4))
