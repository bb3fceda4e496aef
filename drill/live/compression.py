"""Whether a scenario can be compressed honestly, and the figures that say so.

Compression (``time_scale: s``) multiplies every duration by s and every rate
by 1/s, and two things do not follow it (DESIGN.md, "Time compression"):

- the machine: the compressed load is the scenario's rate × 1/s in real requests
  per second, and past what this machine sustains the harness, not the stack,
  decides the latencies;
- the fixed overhead per request of the stack and the harness: it costs the same
  real seconds at any scale, so in scenario seconds it reads as overhead ÷ s. A
  run whose overhead ÷ s exceeds :data:`OVERHEAD_SHARE` of the tightest latency
  threshold it checks would judge the harness, not the incident.

Before a run only an estimate of the overhead exists (:data:`DEFAULT_OVERHEAD_S`);
the run measures it in a calibration and checks again. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reports.rules import DEFAULT_RULES
from scenarios.expectations import Comparison, ExpectationSyntaxError, metric_kind, parse_expectation
from scenarios.schema import Scenario

__all__ = [
    "DEFAULT_MAX_RATE",
    "DEFAULT_OVERHEAD_S",
    "MAX_RATE_ENV",
    "OVERHEAD_SHARE",
    "CompressionCheck",
    "check_compression",
    "max_rate_from_env",
    "tightest_latency",
]

#: Real requests per second the whole stack sustains here, conservatively: the README's benchmark
#: (``bench/bench_live_rate.py``) sends 1,200 req/s on time on the 2-core machine with nothing else
#: running; half of it leaves room for retries, faults' extra work and a busy neighbour.
DEFAULT_MAX_RATE = 600.0
#: Overrides :data:`DEFAULT_MAX_RATE` (requests per second) on a faster or busier machine.
MAX_RATE_ENV = "LLMDRILL_MAX_RATE"
#: The overhead assumed before it is measured: the README's benchmarks put the gateway's own added
#: latency near 0.5 ms and the harness's send lag near 1 ms; 5 ms covers loopback, the proxy and the fakes.
DEFAULT_OVERHEAD_S = 0.005
#: The share of the tightest latency threshold the inflated overhead may take.
OVERHEAD_SHARE = 0.10
#: Float noise allowed at a bound, so that the scale named as the smallest safe one passes the same check.
_SLACK = 1 + 1e-9
#: Runbook rules whose threshold is a latency: the fields they aggregate.
_LATENCY_FIELDS = frozenset({"latency_s", "agent_s"})


@dataclass(frozen=True, slots=True)
class CompressionCheck:
    """The safety figures of one scenario at its ``time_scale``; ``problems`` empty means safe."""

    time_scale: float
    peak_rate_per_s: float             # scenario units
    run_peak_rate_per_s: float         # real requests per second at this scale
    max_rate_per_s: float
    overhead_s: float                  # real seconds per request
    overhead_source: Literal["estimate", "measured"]
    tightest_latency_s: float | None   # scenario seconds; None: the scenario checks no latency
    tightest_latency_from: str
    smallest_safe_scale: float
    problems: tuple[str, ...]

    @property
    def safe(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """Why the scale is unsafe and the smallest one that is (empty when safe)."""
        if self.safe:
            return ""
        fix = (
            f"the smallest safe time_scale is {self.smallest_safe_scale:g}"
            if self.smallest_safe_scale <= 10
            else f"no time_scale up to 10 is safe (it would take {self.smallest_safe_scale:g})"
        )
        return "; ".join(self.problems) + f"; {fix} (--force runs it anyway)"

    @property
    def overhead_share(self) -> float | None:
        """The inflated overhead (scenario seconds) as a share of the tightest latency threshold."""
        if self.tightest_latency_s is None:
            return None
        return self.overhead_s / self.time_scale / self.tightest_latency_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_scale": self.time_scale,
            "safe": self.safe,
            "peak_rate_per_s": self.peak_rate_per_s,
            "run_peak_rate_per_s": self.run_peak_rate_per_s,
            "max_rate_per_s": self.max_rate_per_s,
            "overhead_s": self.overhead_s,
            "overhead_source": self.overhead_source,
            "overhead_scenario_s": self.overhead_s / self.time_scale,
            "tightest_latency_s": self.tightest_latency_s,
            "tightest_latency_from": self.tightest_latency_from,
            "overhead_share": self.overhead_share,
            "overhead_share_limit": OVERHEAD_SHARE,
            "smallest_safe_time_scale": self.smallest_safe_scale,
            "problems": list(self.problems),
        }


def max_rate_from_env(environ: Mapping[str, str] | None = None) -> float:
    """:data:`DEFAULT_MAX_RATE`, or ``$LLMDRILL_MAX_RATE``; a bad value is a ``ValueError`` naming it."""
    env = os.environ if environ is None else environ
    raw = env.get(MAX_RATE_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_MAX_RATE
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{MAX_RATE_ENV}: expected a positive number of requests per second, got {raw!r}")
    return value


def tightest_latency(scenario: Scenario) -> tuple[float, str] | None:
    """The smallest latency threshold the run checks (scenario seconds) and where it comes from.

    The runbook's latency rules (their normal thresholds: the relaxed ones are larger) and the
    scenario's expectations that compare a latency with a duration.
    """
    found: list[tuple[float, str]] = [
        (rule.threshold, f"rule {rule.id}")
        for rule in DEFAULT_RULES
        if rule.value in _LATENCY_FIELDS and rule.aggregation in ("p95", "avg")
    ]
    for text in scenario.expect:
        try:
            parsed = parse_expectation(text)
        except ExpectationSyntaxError:
            continue   # the loader reports it; here it checks nothing
        if (
            isinstance(parsed, Comparison)
            and metric_kind(parsed.left) == "duration"
            and isinstance(parsed.value, int | float)
            and parsed.value > 0
        ):
            found.append((float(parsed.value), f"expectation {text!r}"))
    return min(found) if found else None


def _ceil_nice(x: float) -> float:
    """``x`` rounded up to two significant digits, so the named scale is itself safe."""
    if x <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    return round(math.ceil(x / step - 1e-9) * step, 12)


def check_compression(
    scenario: Scenario,
    *,
    max_rate_per_s: float = DEFAULT_MAX_RATE,
    overhead_s: float = DEFAULT_OVERHEAD_S,
    overhead_source: Literal["estimate", "measured"] = "estimate",
) -> CompressionCheck:
    """The figures of ``scenario`` (as written, scenario units) at its own ``time_scale``."""
    s = scenario.time_scale
    peak = max((stage.rate for stage in scenario.load.stages), default=0.0)
    run_peak = peak / s
    tight = tightest_latency(scenario)
    by_rate = peak / max_rate_per_s
    by_overhead = 0.0 if tight is None else overhead_s / (OVERHEAD_SHARE * tight[0])
    smallest = _ceil_nice(max(by_rate, by_overhead))
    problems: list[str] = []
    if run_peak > max_rate_per_s * _SLACK:
        problems.append(
            f"at time_scale {s:g} the peak load of {peak:g}/s (scenario) is {run_peak:.0f} real requests/s, "
            f"more than the {max_rate_per_s:g}/s this machine sustains (${MAX_RATE_ENV})"
        )
    if tight is not None and overhead_s / s > OVERHEAD_SHARE * tight[0] * _SLACK:
        problems.append(
            f"at time_scale {s:g} the stack and harness overhead of {overhead_s * 1000:.1f} ms "
            f"({overhead_source}) reads as {overhead_s / s * 1000:.0f} ms of scenario time, more than "
            f"{OVERHEAD_SHARE:.0%} of the tightest latency threshold checked ({tight[0]:g} s, {tight[1]})"
        )
    return CompressionCheck(
        time_scale=s,
        peak_rate_per_s=peak,
        run_peak_rate_per_s=run_peak,
        max_rate_per_s=max_rate_per_s,
        overhead_s=overhead_s,
        overhead_source=overhead_source,
        tightest_latency_s=None if tight is None else tight[0],
        tightest_latency_from="" if tight is None else tight[1],
        smallest_safe_scale=smallest,
        problems=tuple(problems),
    )
