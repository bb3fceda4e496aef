"""What a live run measured of the stack's own costs, for the twin to charge them (``llmdrill fidelity``).

DESIGN.md "Time compression": the fixed cost per request of the stack and the
harness does not compress, so in scenario seconds it reads ÷ time_scale.  The
twin runs the policy code at no cost at all unless told; ``fidelity`` tells it
what the live run of the same scenario measured, read from that run's records:

- the fixed cost per request: each request answered from the cache has no
  provider in it, only client, gateway and scheduling lag from its intended
  send time, under the run's own load; the twin draws one per request from
  them.  With too few cache hits, the calibration's constant (``run.json``
  ``compression``, sequential requests before t=0);
- the cost per answered call: before any fault, how much longer the gateway
  saw a call take at the median than the fakes' baseline latency (the twin's
  draw) says: proxy, the fake's own sleep overshoot, loopback;
- the timer's lag: a real event loop notices a timeout after its deadline,
  never on it.  With the runbook's 10 s call timeout and its ``p95 > 10 s``
  rule, that lag decides whether the rule fires once timeouts pass 5 % of the
  calls; the twin takes the median of the live run's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gateway.outcomes import FailureKind
from reports.columns import CallColumns
from reports.io import RunDataError, load_run
from reports.records import OK
from reports.report import rescale
from reports.runinfo import RunInfo

__all__ = ["MIN_OVERHEAD_SAMPLES", "LiveCosts", "measured_costs", "measured_overhead_s"]


def measured_overhead_s(info: RunInfo) -> float:
    """What the live run's calibration measured each request to cost beyond the providers, in scenario seconds.

    The stack's round trip through gateway, proxy and fakes with no injected latency, divided by the
    time_scale: the fixed cost that compression inflates (DESIGN.md "Time compression"), which the twin
    otherwise runs at zero.  0 when the live run measured none.
    """
    compression = info.compression
    if compression.get("overhead_source") != "measured":
        return 0.0
    try:
        return max(0.0, float(compression.get("overhead_scenario_s") or 0.0))
    except (TypeError, ValueError):
        return 0.0


@dataclass(frozen=True, slots=True)
class LiveCosts:
    """What the live run measured of the stack's own costs, in scenario seconds, for the twin to charge."""

    #: the latency of each request answered from the cache: no provider in it, only the stack and harness
    #: (client, gateway, scheduling lag from the intended send time) under the run's own load
    per_request_s: tuple[float, ...]
    #: the calibration's figure (sequential requests before t=0), when too few requests hit the cache
    calibration_s: float
    #: the median of how much later than its timeout a timed-out call was noticed (0 with no timeout)
    timer_lag_s: float
    timeouts: int
    #: per provider: how much longer the gateway saw an answered call take, at the median, before any
    #: fault, than the fakes' baseline latency says the provider took (proxy, fake, loopback); pooled
    call_cost_s: Mapping[str, float] = field(default_factory=dict)

    @property
    def drawn(self) -> bool:
        return len(self.per_request_s) >= MIN_OVERHEAD_SAMPLES

    def describe(self) -> str:
        if self.drawn:
            ordered = sorted(self.per_request_s)
            cost = (f"drawn per request from the live run's {len(ordered)} cache-hit latencies (p50 "
                    f"{ordered[len(ordered) // 2] * 1000:.1f} ms, p95 {ordered[int(0.95 * len(ordered))] * 1000:.1f} "
                    "ms)")
        else:
            cost = f"{self.calibration_s * 1000:.1f} ms, the live run's calibration (too few cache hits to draw from)"
        lag = (f"timed-out calls noticed {self.timer_lag_s * 1000:.1f} ms after their timeout (the median of the "
               f"live run's {self.timeouts})" if self.timeouts else "no live timeout to measure the timer lag on: 0")
        costs = set(self.call_cost_s.values())
        calls = f"{costs.pop() * 1000:.1f} ms" if len(costs) == 1 else ", ".join(
            f"{p} {c * 1000:.1f} ms" for p, c in sorted(self.call_cost_s.items())) or "none measured"
        return (f"the stack's fixed cost per request {cost}; per answered call (median before any fault, beyond "
                f"the fakes' baseline latency): {calls}; {lag}")


#: fewer cache hits than this and their spread says little: the calibration's constant instead
MIN_OVERHEAD_SAMPLES = 20


def _quiet_until_s(info: RunInfo) -> float:
    """Until when no fault touched any call (scenario seconds): the first fault, else the run's end."""
    starts = [f.at_s for f in info.faults]
    if starts:
        return min(starts)
    # a run.json that gives neither (or none at all): no call is known to be fault-free
    return info.duration_s if info.duration_s is not None else 0.0


def _median(values: npt.ArrayLike) -> float:
    # the upper median, ``sorted(values)[n // 2]``: a sample, never a mean of two, as these costs always read
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    return float(ordered[ordered.size // 2])


def _mixture_median(draws: Mapping[str, Sequence[float]], counts: Mapping[str, int]) -> float:
    """The median of the providers' baselines mixed as the live calls were: ``counts[p]`` calls of ``p``."""
    mixed: list[float] = []
    for provider, n in counts.items():
        ordered = sorted(draws[provider])
        # evenly spaced quantiles, five per call: each provider weighs what its calls weighed
        mixed += [ordered[min(len(ordered) - 1, int((i + 0.5) * len(ordered) / (5 * n)))] for i in range(5 * n)]
    return _median(mixed)


def _call_cost_s(calls: CallColumns, quiet_until_s: float,
                 baseline_draws: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """One figure for every provider, from their answered calls before any fault pooled (empty: too few)."""
    answered = calls.result_in((OK,)) & (calls.t_s < quiet_until_s)
    counts: dict[str, int] = {}
    latencies: list[npt.NDArray[np.float64]] = []
    for provider in calls.providers:
        rows = answered & calls.provider_is(provider)
        if provider in baseline_draws and rows.any():
            counts[provider] = int(np.count_nonzero(rows))
            latencies.append(calls.latency_s[rows])
    if sum(counts.values()) < MIN_OVERHEAD_SAMPLES:
        return {}
    cost = max(0.0, _median(np.concatenate(latencies)) - _mixture_median(baseline_draws, counts))
    return dict.fromkeys(baseline_draws, cost)


def _timer_lags_s(calls: CallColumns, call_timeouts_s: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """How much later than its provider's timeout each timed-out call was noticed, in order."""
    timed_out = calls.result_in((FailureKind.TIMEOUT,))
    lags = [calls.latency_s[timed_out & calls.provider_is(p)] - timeout for p, timeout in call_timeouts_s.items()]
    return np.sort(np.concatenate(lags)) if lags else np.zeros(0)


def measured_costs(live_dir: Path, call_timeouts_s: Mapping[str, float],
                   baseline_draws: Mapping[str, Sequence[float]]) -> LiveCosts:
    """Read the live run's records: cache-hit latencies, answered and timed-out calls, in scenario seconds.

    ``baseline_draws``: per provider, draws of the fakes' baseline latency (what the twin draws from).
    The cost per call is one figure for every provider, from all of them pooled: a provider's own few
    calls before the first fault would make its figure mostly noise.  The run is read by
    ``reports.io.load_run`` (a directory it cannot read is its ``RunDataError``) and put on the
    scenario's time base by ``reports.report.rescale``, as its report was.
    """
    run = load_run(live_dir)
    if run.info.mode != "live":
        raise RunDataError(f"{live_dir}: a {run.info.mode} run, not a live one: it measured no cost of the stack")
    requests, calls, _ = rescale(run.info.time_scale, run.requests, run.calls, ())
    hits = requests.flags["cache_hit"] & requests.outcome_is(OK) & ~np.isnan(requests.latency_s)
    lags = _timer_lags_s(calls, call_timeouts_s)
    # a call cut short by the request's deadline reads below its timeout; the median is the timer's lag
    lag = max(0.0, float(lags[lags.size // 2])) if lags.size else 0.0
    return LiveCosts(tuple(requests.latency_s[hits].tolist()), measured_overhead_s(run.info), lag, int(lags.size),
                     _call_cost_s(calls, _quiet_until_s(run.info), baseline_draws))
