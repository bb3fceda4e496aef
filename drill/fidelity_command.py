"""``llmdrill fidelity SCENARIO``: the scenario live and in the twin, their figures side by side; exit 0/1.

Both runs start from the same scenario and the same planner (``make_plan``):
live at the scenario's time_scale under Locust, the twin at time_scale 1 in
virtual time; both reports speak in scenario seconds, so they compare as they
are.  The live run goes first: the per-request overhead it measures (the fixed
cost that compression inflates) is the twin's constant cost per request unless
``--gateway-cpu`` says otherwise, and the figure is printed.  Exit 0 when
every figure is within issue 9's bar, 1 when one is not, 2 for bad input, 3
when a run produced no report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 1, 2, 3


def measured_overhead_s(live_dir: Path) -> float:
    """What the live run measured each request to cost beyond the providers' latency, in scenario seconds.

    The stack's round trip through gateway, proxy and fakes with no injected latency, divided by the
    time_scale: the fixed cost that compression inflates (DESIGN.md "Time compression"), which the twin
    otherwise runs at zero.  0 when the live run measured none.
    """
    try:
        info = json.loads((live_dir / "run.json").read_text(encoding="utf-8"))
        compression = info.get("compression") or {}
        if compression.get("overhead_source") != "measured":
            return 0.0
        return max(0.0, float(compression.get("overhead_scenario_s") or 0.0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0.0


def fidelity(argv: list[str]) -> int:
    from drill.commands import _load, _loopback_only
    from drill.live.collect import finish_report
    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError, make_plan
    from drill.sim_command import sim_setup
    from scenarios.problems import ScenarioError
    from sim.fidelity import judge, render_checks
    from sim.scenario import simulate

    p = argparse.ArgumentParser(prog="llmdrill fidelity",
                                description="Run a scenario live and in the twin; compare the two reports.")
    p.add_argument("scenario", help="a library name or a scenario file")
    p.add_argument("--out", help="directory for the two runs (default runs/<scenario>-fidelity-<time>)")
    p.add_argument("--time-scale", type=float, help="the live run's time_scale (default the scenario's)")
    p.add_argument("--gateway-cpu", type=float, default=None,
                   help="the twin's fixed cost per request, scenario seconds (default: the live run's measured "
                        "per-request overhead, compression.overhead_scenario_s in its run.json)")
    args = p.parse_args(argv)
    if args.gateway_cpu is not None and not 0 <= args.gateway_cpu < 60:
        print(f"llmdrill fidelity: --gateway-cpu must be in [0, 60) seconds, got {args.gateway_cpu}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.time_scale is not None and not 0 < args.time_scale <= 10:
        print(f"llmdrill fidelity: --time-scale must be in (0, 10], got {args.time_scale}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        scenario = _load(args.scenario, args.time_scale)
        live_plan = make_plan(scenario)
        sim_setup(scenario, {}, args.gateway_cpu or 0.0)   # refused before the live run, if the twin cannot run it
    except ScenarioError as exc:
        print("\n".join(str(prob) for prob in exc.problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError) as exc:
        print(f"{args.scenario}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not live_plan.compression.safe:
        print(f"{args.scenario}: refused before starting: {live_plan.compression.message()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-fidelity-{time.strftime('%Y%m%d-%H%M%S')}"
    _loopback_only()
    print(f"llmdrill fidelity: {scenario.name}: {scenario.duration_s * scenario.time_scale:.0f} s live, then the "
          f"twin; runs in {out}/live and {out}/sim", flush=True)
    run_live(live_plan, out / "live", view=False)
    cpu = args.gateway_cpu if args.gateway_cpu is not None else measured_overhead_s(out / "live")
    print(f"llmdrill fidelity: the twin's fixed cost per request: {cpu * 1000:.1f} ms (scenario seconds"
          f"{', as the live run measured it' if args.gateway_cpu is None else ', from --gateway-cpu'})", flush=True)
    simulate(sim_setup(scenario, {}, cpu), out / "sim")
    finish_report(out / "sim")
    reports = {}
    for mode in ("live", "sim"):
        path = out / mode / "report.json"
        if not path.exists():
            print(f"llmdrill fidelity: the {mode} run left no report ({path})", file=sys.stderr)
            return EXIT_HARNESS
        reports[mode] = json.loads(path.read_text(encoding="utf-8"))
    checks = judge(reports["live"], reports["sim"])
    print(render_checks(checks))
    (out / "fidelity.json").write_text(json.dumps([asdict(c) for c in checks], indent=2) + "\n", encoding="utf-8")
    ok = all(c.ok for c in checks)
    within = sum(c.ok for c in checks)
    print(f"fidelity: {'FAITHFUL' if ok else 'DIFFERS'} ({within}/{len(checks)} figures within the bar)")
    return EXIT_OK if ok else EXIT_DIFFERS
