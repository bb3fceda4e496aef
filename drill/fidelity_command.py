"""``llmdrill fidelity SCENARIO``: the scenario live and in the twin, their figures side by side; exit 0/1.

Both runs start from the same scenario and the same planner (``make_plan``):
live at the scenario's time_scale under Locust, the twin at time_scale 1 in
virtual time; both reports speak in scenario seconds, so they compare as they
are.  The live run goes first, and the twin is then charged the stack's own
costs as that run measured them (DESIGN.md "Time compression": they do not
compress, so in scenario seconds they read ÷ time_scale), printed before the
twin runs — never a tolerance in the comparison:

- the fixed cost per request, drawn per request from the live run's cache-hit
  latencies (a cache hit is all stack and harness, no provider), or the
  calibration's constant when too few requests hit the cache; ``--gateway-cpu``
  sets a constant instead;
- the cost per answered call (proxy, the fake's sleep overshoot, loopback);
- the timer's lag: a real event loop notices a timeout after its deadline,
  never on it, so with the runbook's 10 s timeout and its ``p95 > 10 s`` rule
  the lag decides whether the rule fires; the median of the live run's.

The costs are read by ``drill.fidelity_costs``.  ``--live RUN_DIR`` compares
with a finished live run of the same scenario and seed instead of starting one.
Exit 0 when every figure is within issue 9's bar, 1 when one is not, 2 for bad
input, 3 when a run failed or produced no report.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scenarios.schema import Scenario
    from sim.run import SimSetup

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 1, 2, 3


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="llmdrill fidelity",
                                description="Run a scenario live and in the twin; compare the two reports.")
    p.add_argument("scenario", help="a library name or a scenario file")
    p.add_argument("--out", help="directory for the runs (default runs/<scenario>-fidelity-<time>)")
    p.add_argument("--time-scale", type=float, help="the live run's time_scale (default the scenario's)")
    p.add_argument("--seed", type=int, help="override the scenario's seed (both runs)")
    p.add_argument("--live", metavar="RUN_DIR",
                   help="compare with this finished live run of the scenario instead of starting one")
    p.add_argument("--gateway-cpu", type=float, default=None,
                   help="the twin's fixed cost per request as a constant, scenario seconds (default: what the "
                        "live run measured, drawn per request from its cache hits)")
    return p.parse_args(argv)


def _given_live_run(run_dir: Path, scenario: Scenario) -> str | None:
    """Why ``run_dir`` is not a live run of ``scenario`` (None when it is one)."""
    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"--live {run_dir}: no readable run.json ({exc})"
    if not isinstance(info, dict) or info.get("mode", "live") != "live":
        return f"--live {run_dir}: not a live run (mode {info.get('mode') if isinstance(info, dict) else '?'})"
    if (info.get("scenario"), info.get("seed")) != (scenario.name, scenario.seed):
        return (f"--live {run_dir}: a run of {info.get('scenario')!r} with seed {info.get('seed')}, not of "
                f"{scenario.name!r} with seed {scenario.seed}")
    if not (run_dir / "report.json").exists():
        return f"--live {run_dir}: the run has no report.json"
    return None


def fidelity(argv: list[str]) -> int:
    args = _parse_args(argv)
    # lazy: the live stack and the twin (~1.5 s) once the arguments parse, so `fidelity --help` is quick
    from drill.command_inputs import load_named, loopback_only
    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError, make_plan
    from drill.sim_command import sim_setup
    from scenarios.problems import ScenarioError

    if args.gateway_cpu is not None and not 0 <= args.gateway_cpu < 60:
        print(f"llmdrill fidelity: --gateway-cpu must be in [0, 60) seconds, got {args.gateway_cpu}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.time_scale is not None and not 0 < args.time_scale <= 10:
        print(f"llmdrill fidelity: --time-scale must be in (0, 10], got {args.time_scale}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        scenario = load_named(args.scenario, args.time_scale, args.seed)
        live_plan = make_plan(scenario)
        setup = sim_setup(scenario, {}, args.gateway_cpu or 0.0)   # refused before the live run, if the twin cannot
    except ScenarioError as exc:
        print("\n".join(str(prob) for prob in exc.problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError) as exc:
        print(f"{args.scenario}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-fidelity-{time.strftime('%Y%m%d-%H%M%S')}"
    if args.live is not None:
        live_dir = Path(args.live)
        why = _given_live_run(live_dir, scenario)
        if why is not None:
            print(f"llmdrill fidelity: {why}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"llmdrill fidelity: {scenario.name}: the live run {live_dir}, then the twin in {out}/sim", flush=True)
    else:
        if not live_plan.compression.safe:
            print(f"{args.scenario}: refused before starting: {live_plan.compression.message()}", file=sys.stderr)
            return EXIT_BAD_INPUT
        live_dir = out / "live"
        loopback_only()
        print(f"llmdrill fidelity: {scenario.name}: {scenario.duration_s * scenario.time_scale:.0f} s live, then "
              f"the twin; runs in {live_dir} and {out}/sim", flush=True)
        live = run_live(live_plan, live_dir, view=False)
        if live.harness_error is not None or not (live_dir / "report.json").exists():
            print(f"llmdrill fidelity: the live run failed ({live.harness_error or 'no report'}); see "
                  f"{live_dir}/logs", file=sys.stderr)
            return EXIT_HARNESS
    return _twin_and_judge(setup, live_dir, out, args.gateway_cpu)


def _baseline_draws(setup: SimSetup) -> dict[str, list[float]]:
    """Per provider, draws of the baseline latency the twin draws from (the fakes' own)."""
    from fake_providers.faults.engine import FaultEngine  # lazy, as in fidelity

    engine = FaultEngine(setup.plan, seed=setup.seed)
    rng = random.Random(setup.seed)
    return {name: [engine.baseline(name).sample(rng) for _ in range(2001)] for name in setup.config.providers}


def _twin_and_judge(setup: SimSetup, live_dir: Path, out: Path, gateway_cpu: float | None) -> int:
    """The twin charged what ``live_dir`` measured (or ``gateway_cpu``), then both reports side by side."""
    # lazy, as in fidelity
    from drill.fidelity_costs import measured_costs
    from drill.live.collect import finish_report
    from sim.fidelity import judge, render_checks
    from sim.scenario import simulate

    config = setup.config
    costs = measured_costs(live_dir, {name: config.scaled(p.timeout or config.timeout)
                                      for name, p in config.providers.items()}, _baseline_draws(setup))
    if gateway_cpu is not None:
        print(f"llmdrill fidelity: the twin's fixed cost per request: {gateway_cpu * 1000:.1f} ms (scenario "
              f"seconds, from --gateway-cpu); timer lag {costs.timer_lag_s * 1000:.1f} ms", flush=True)
        setup = replace(setup, timer_lag_s=costs.timer_lag_s, call_cost_s=costs.call_cost_s)
    else:
        print(f"llmdrill fidelity: the twin charges what the live run measured, in scenario seconds: "
              f"{costs.describe()}", flush=True)
        setup = replace(setup, gateway_cpu_s=costs.calibration_s, timer_lag_s=costs.timer_lag_s,
                        call_cost_s=costs.call_cost_s, overhead_samples_s=costs.per_request_s if costs.drawn else ())
    simulate(setup, out / "sim")
    finish_report(out / "sim")
    if not (out / "sim" / "report.json").exists():
        print(f"llmdrill fidelity: the twin left no report ({out}/sim/report.json)", file=sys.stderr)
        return EXIT_HARNESS
    live = json.loads((live_dir / "report.json").read_text(encoding="utf-8"))
    sim = json.loads((out / "sim" / "report.json").read_text(encoding="utf-8"))
    checks = judge(live, sim)
    print(render_checks(checks))
    (out / "fidelity.json").write_text(json.dumps({"live": str(live_dir), "sim": str(out / "sim"),
                                                   "twin_costs": costs.describe(),
                                                   "checks": [asdict(c) for c in checks]}, indent=2) + "\n",
                                       encoding="utf-8")
    ok = all(c.ok for c in checks)
    within = sum(c.ok for c in checks)
    print(f"fidelity: {'FAITHFUL' if ok else 'DIFFERS'} ({within}/{len(checks)} figures within the bar)")
    return EXIT_OK if ok else EXIT_DIFFERS
