"""Which plots a dead process of the harness left partial, and from when.

When a process of a live run dies (``run.json``'s ``harness_failure``, one entry per process, written by
the harness watching itself), the run stops and what it supplied ends there: later requests are
recorded lost or unsent, its calls and events stop.  A plot drawn over the whole run would then read
that as an outage, or as calm.  So
each plot fed by a dead process is marked partial from its death on (``reports.plots`` hatches that
span and says so in its title).  Which plots a process feeds:

- ``gateway``: every plot (it answers every request and makes every call);
- ``fakes``: provider answers — latency, outcomes, calls per provider and quota, quality, severity;
- ``proxy``: the path to the providers — latency, outcomes, calls, quota, breakers, severity;
- ``locust`` (master or worker): the requests — latency, outcomes, cache, quality, severity;
- any other process: every plot, since what it supplied is not known here.

Pure: run info in, plot names out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .runinfo import RunInfo

__all__ = ["ALL_PLOTS", "FEEDS", "Partial", "partial_plots"]

ALL_PLOTS = frozenset({
    "severity.png", "latency.png", "outcomes.png", "providers.png", "quota.png", "breakers.png", "cache.png",
    "quality.png",
})

#: process kind -> the plots drawn from what it supplied
FEEDS: Mapping[str, frozenset[str]] = {
    "gateway": ALL_PLOTS,
    "fakes": frozenset({"latency.png", "outcomes.png", "providers.png", "quota.png", "quality.png", "severity.png"}),
    "proxy": frozenset({"latency.png", "outcomes.png", "providers.png", "quota.png", "breakers.png", "severity.png"}),
    "locust": frozenset({"latency.png", "outcomes.png", "cache.png", "quality.png", "severity.png"}),
}


@dataclass(frozen=True, slots=True)
class Partial:
    from_s: float  # scenario seconds: the first death of a process that fed the plot
    why: str  # e.g. "process 'gateway' died at 150 s" (scenario seconds)


def _died_at(entry: Mapping[str, object], time_scale: float) -> float:
    at = entry.get("scenario_t_s")
    if isinstance(at, int | float) and not isinstance(at, bool):
        return float(at)
    wall = entry.get("t_s")
    if isinstance(wall, int | float) and not isinstance(wall, bool) and time_scale > 0:
        return float(wall) / time_scale
    return 0.0  # when is unknown: the whole plot is in doubt


def partial_plots(info: RunInfo) -> dict[str, Partial]:
    """Plot file name -> from when it is partial, for every plot a dead process fed."""
    out: dict[str, Partial] = {}
    for entry in info.harness_failure:
        process = str(entry.get("process", "?"))
        kind = process.split("-", 1)[0]  # locust-worker0 -> locust, as the harness names them
        at = max(_died_at(entry, info.time_scale), 0.0)
        why = f"process {process!r} died at {at:.4g} s"
        for plot in FEEDS.get(kind, ALL_PLOTS):
            if plot not in out or at < out[plot].from_s:
                out[plot] = Partial(at, why)
    return out
