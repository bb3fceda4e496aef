"""What a plan is expected to cost in wall time, printed before it starts.

A fixed rate cannot say it: this machine runs the twin 2.5x faster on one day
than on another, and the twin itself got ~5x faster after its rate was fixed,
so a fixed figure read 1:32 for a plan that took 0:16.  The estimate therefore
times this machine first, with a short run of the bare SimPy model
(``sim.bare_model.bare_rate``, ~0.2 s), and scales what the twin does per
bare-model request by shares measured against it.
"""

from __future__ import annotations

__all__ = ["POINT_SHARE", "TWIN_SHARE", "estimate_wall_s"]

#: twin requests per bare-model request, the point's report included.  The two example plans ran 0.078 of it
#: (2026-12-03; cache on and off, outages, quotas); ``bench_sim`` reads 0.39 cache on and 0.095 cache off before
#: any report.  Rounded down: an estimate a little long is better than one that runs out.
TWIN_SHARE = 0.06
#: each point's fixed cost (its scenario and stack built, its report and files written) in bare-model
#: requests: 0.28 s a point at 134k/s in the same two plans
POINT_SHARE = 40_000.0


def estimate_wall_s(requests: float, points: int, workers: int, bare_rate: float) -> float:
    """Seconds for ``points`` points simulating ``requests`` requests in all, on ``workers`` workers as fast as
    a machine whose bare model runs ``bare_rate`` requests per second."""
    if not (bare_rate > 0 and workers >= 1):
        raise ValueError(f"estimate_wall_s needs bare_rate > 0 and workers >= 1, got {bare_rate!r}, {workers!r}")
    return (requests / TWIN_SHARE + points * POINT_SHARE) / bare_rate / workers
