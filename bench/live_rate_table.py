"""The benchmark's table: one row a rung, with its figures, its CPU per role and its context.

Part of ``bench_live_rate.py``.
"""

from __future__ import annotations

from live_rate_cpu import ROLES
from live_rate_rung import Rung

__all__ = ["HEADER", "LEGEND", "UNITS", "row"]


def row(label: str, rung: Rung, verdict: str) -> str:
    s = rung.summary
    if s is None:
        return f"{label:>12}  {'':>6}  error: {rung.error}"
    cpu = "  ".join(f"{rung.cpu.get(r, 0.0):5.2f}" for r in ROLES)
    return (
        f"{label:>12}  {s.n:6d}  {100 * s.late_share:6.2f}  {100 * s.ok_share:6.2f}  "
        f"{1000 * s.lag_p50_s:8.2f}  {1000 * s.lag_p99_s:8.1f}  {1000 * s.latency_p99_s:8.0f}  "
        f"{1000 * s.start_lag_s:7.0f}  {cpu}  {rung.load_avg:5.2f}  {rung.others:3d}  {rung.overflows:6d}  {verdict}"
    )


HEADER = (
    f"{'rate/s (wN)':>12}  {'n':>6}  {'late%':>6}  {'ok%':>6}  {'lag p50':>8}  {'lag p99':>8}  "
    f"{'lat p99':>8}  {'start':>7}  " + "  ".join(f"{r[:5]:>5}" for r in ROLES)
    + f"  {'load':>5}  {'oth':>3}  {'ovfl':>6}  verdict"
)
UNITS = f"{'':>12}  {'':>6}  {'':>6}  {'':>6}  {'ms':>8}  {'ms':>8}  {'ms':>8}  {'ms':>7}  " + (
    "CPU share of one core (steady)     load avg, other stacks, listen overflows at/while"
)
LEGEND = (
    "start: the send lag of the run's first request (Locust's start-up, absorbed by the warm-up); "
    "oth: other llmdrill gateways running (other engineers' tests); ovfl: system-wide TcpExt "
    "ListenOverflows during the rung (dropped SYNs: clients resend after 1 s, 3 s, ...)"
)
