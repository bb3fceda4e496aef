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

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MIN_OVERHEAD_SAMPLES", "LiveCosts", "measured_costs", "measured_overhead_s"]


def measured_overhead_s(live_dir: Path) -> float:
    """What the live run's calibration measured each request to cost beyond the providers, in scenario seconds.

    The stack's round trip through gateway, proxy and fakes with no injected latency, divided by the
    time_scale: the fixed cost that compression inflates (DESIGN.md "Time compression"), which the twin
    otherwise runs at zero.  0 when the live run measured none.
    """
    compression = _compression(live_dir)
    if compression.get("overhead_source") != "measured":
        return 0.0
    try:
        return max(0.0, float(compression.get("overhead_scenario_s") or 0.0))
    except (TypeError, ValueError):
        return 0.0


def _compression(live_dir: Path) -> dict[str, Any]:
    try:
        info = json.loads((live_dir / "run.json").read_text(encoding="utf-8"))
        compression = info.get("compression") if isinstance(info, dict) else None
    except (OSError, ValueError):
        return {}
    return compression if isinstance(compression, dict) else {}


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue   # a line cut short by an interrupted run
                if isinstance(row, dict):
                    yield row
    except OSError:
        return


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


def _first_fault_s(live_dir: Path) -> float:
    try:
        info = json.loads((live_dir / "run.json").read_text(encoding="utf-8"))
        starts = [float(f["at_s"]) for f in info.get("faults") or () if isinstance(f, dict)]
        return min(starts, default=float(info.get("duration_s") or math.inf))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return 0.0   # unknown: no call is known to be fault-free


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _mixture_median(draws: Mapping[str, Sequence[float]], counts: Mapping[str, int]) -> float:
    """The median of the providers' baselines mixed as the live calls were: ``counts[p]`` calls of ``p``."""
    mixed: list[float] = []
    for provider, n in counts.items():
        ordered = sorted(draws[provider])
        # evenly spaced quantiles, five per call: each provider weighs what its calls weighed
        mixed += [ordered[min(len(ordered) - 1, int((i + 0.5) * len(ordered) / (5 * n)))] for i in range(5 * n)]
    return _median(mixed)


def measured_costs(live_dir: Path, call_timeouts_s: Mapping[str, float],
                   baseline_draws: Mapping[str, Sequence[float]]) -> LiveCosts:
    """Read the live run's records: cache-hit latencies, answered and timed-out calls, in scenario seconds.

    ``baseline_draws``: per provider, draws of the fakes' baseline latency (what the twin draws from).
    The cost per call is one figure for every provider, from all of them pooled: a provider's own few
    calls before the first fault would make its figure mostly noise.
    """
    try:
        scale = float(_compression(live_dir).get("time_scale") or 1.0)
    except (TypeError, ValueError):
        scale = 1.0
    scale = scale if scale > 0 else 1.0
    quiet_until = _first_fault_s(live_dir)
    answered: dict[str, list[float]] = {}
    for r in _rows(live_dir / "calls.jsonl"):
        if (r.get("result") == "ok" and isinstance(r.get("latency_s"), int | float)
                and isinstance(r.get("t_s"), int | float) and float(r["t_s"]) / scale < quiet_until
                and str(r.get("provider")) in baseline_draws):
            answered.setdefault(str(r.get("provider")), []).append(float(r["latency_s"]) / scale)
    pooled = [x for v in answered.values() for x in v]
    call_cost: dict[str, float] = {}
    if len(pooled) >= MIN_OVERHEAD_SAMPLES:
        cost = max(0.0, _median(pooled) - _mixture_median(baseline_draws, {p: len(v) for p, v in answered.items()}))
        call_cost = dict.fromkeys(baseline_draws, cost)
    hits = tuple(float(r["latency_s"]) / scale for r in _rows(live_dir / "requests.jsonl")
                 if r.get("cache_hit") and r.get("outcome") == "ok" and isinstance(r.get("latency_s"), int | float))
    lags = sorted(float(r["latency_s"]) / scale - call_timeouts_s[str(r.get("provider"))]
                  for r in _rows(live_dir / "calls.jsonl")
                  if r.get("result") == "timeout" and str(r.get("provider")) in call_timeouts_s
                  and isinstance(r.get("latency_s"), int | float))
    # a call cut short by the request's deadline reads below its timeout; the median is the timer's lag
    lag = max(0.0, lags[len(lags) // 2]) if lags else 0.0
    return LiveCosts(hits, measured_overhead_s(live_dir), lag, len(lags), call_cost)
