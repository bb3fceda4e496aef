"""What a live run will cost, worked out before it starts, and the limits a run must stay within.

A scenario's cost is its load: requests = ∫ rate dt over the run's (scaled) stages, wall time =
the run's duration plus start-up and report, memory = the processes' base plus what grows with
the run (in-flight requests, and the report, which reads every record), disk = the record files.
The per-request figures are measured on this project's records (a request record is ~400 bytes of
JSON, written twice: the worker's part and the merged file) and rounded up: the estimate is meant
to refuse the ``duration: 1000h`` typo, not to predict a run to the megabyte.

Pure: no processes, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scenarios.schema import Scenario
from units.durations import format_duration

__all__ = ["DEFAULT_LIMITS", "OVERRIDE_FLAG", "Cost", "Limits", "estimate", "over_limits"]

#: the flag that runs a scenario whatever it costs
OVERRIDE_FLAG = "--no-cost-limits"

#: start-up (four processes, Locust's lead), merge and report, at a busy machine's pace
_FIXED_WALL_S = 30.0
#: the fakes, the proxy, the gateway and one Locust process, before any load
_BASE_MEMORY_B = 400 * 1024**2
#: per request held by the report, which reads every record (measured: 568 MB for 360,000 records)
_MEMORY_PER_REQUEST_B = 2048
#: per request in flight: a greenlet, a socket, the gateway's task and its buffers
_MEMORY_PER_IN_FLIGHT_B = 64 * 1024
#: per request on disk: its record twice (part + merged, ~440 B each), its sent mark, its upstream calls
_DISK_PER_REQUEST_B = 1280


@dataclass(frozen=True, slots=True)
class Cost:
    requests: float
    wall_s: float
    memory_b: float
    disk_b: float
    peak_rate: float           # requests per run second, at the busiest stage

    def to_dict(self) -> dict[str, float]:
        return {"requests": round(self.requests), "wall_s": round(self.wall_s, 1),
                "memory_bytes": round(self.memory_b), "disk_bytes": round(self.disk_b),
                "peak_rate_per_s": round(self.peak_rate, 3)}

    def summary(self) -> str:
        return (f"~{self.requests:,.0f} requests, ~{format_duration(round(self.wall_s))} wall, "
                f"~{_size(self.memory_b)} memory, ~{_size(self.disk_b)} disk")


@dataclass(frozen=True, slots=True)
class Limits:
    """The most one run may cost; each has a flag of the same name (``--max-requests`` ...)."""

    # an interrupted run still merges and reports its whole schedule: at 250,000 requests that takes
    # ~25 s on a busy 2-core machine (merge ~6 s, report ~19 s), the bound on "SIGINT stops a run"
    requests: float = 250_000
    wall_s: float = 4 * 3600.0
    memory_b: float = 4 * 1024**3
    disk_b: float = 4 * 1024**3


DEFAULT_LIMITS = Limits()


def _size(b: float) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if b >= factor:
            return f"{b / factor:.1f} {unit}"
    return f"{b:.0f} B"


def estimate(run: Scenario) -> Cost:
    """The cost of ``run``: a scenario already in run seconds (``Scenario.scaled()``)."""
    requests = run.load.expected_requests()
    peak = max((s.rate for s in run.load.stages), default=0.0)
    # Little's law, with every request taking the whole client timeout: the worst case in flight
    in_flight = peak * run.load.client_timeout_s
    end = max([run.duration_s, *(s.until_s for s in run.load.stages)])
    return Cost(
        requests=requests,
        wall_s=end + run.load.client_timeout_s + _FIXED_WALL_S,
        memory_b=_BASE_MEMORY_B + requests * _MEMORY_PER_REQUEST_B + in_flight * _MEMORY_PER_IN_FLIGHT_B,
        disk_b=requests * _DISK_PER_REQUEST_B,
        peak_rate=peak,
    )


def over_limits(cost: Cost, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """One line per limit ``cost`` exceeds, naming the limit's flag; empty when the run fits."""
    checks: Mapping[str, tuple[float, float, str, str]] = {
        "--max-requests": (cost.requests, limits.requests, f"{cost.requests:,.0f} requests",
                           f"{limits.requests:,.0f}"),
        "--max-wall": (cost.wall_s, limits.wall_s, format_duration(round(cost.wall_s)),
                       format_duration(round(limits.wall_s))),
        "--max-memory": (cost.memory_b, limits.memory_b, _size(cost.memory_b), _size(limits.memory_b)),
        "--max-disk": (cost.disk_b, limits.disk_b, _size(cost.disk_b), _size(limits.disk_b)),
    }
    return [f"estimated {shown} exceeds the limit {limit_shown} ({flag})"
            for flag, (value, limit, shown, limit_shown) in checks.items() if value > limit]
