"""``llmdrill run SCENARIO --mode sim``: the same plan, run by the twin; the same report.

The live planner (``drill.live.plan.make_plan``) works out and validates the
gateway config, fault plan, timeline steps and ``RunInfo`` — at time_scale 1,
since virtual time needs no compression — the twin runs those very values, and
the live collector's ``finish_report`` builds the report from the run directory.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from drill.command_inputs import load_named
from drill.verdict import print_verdict
from scenarios.problems import ScenarioError
from scenarios.schema import Scenario

if TYPE_CHECKING:   # the twin's types: the twin itself is loaded by a sim run (see sim_setup)
    from fake_providers.faults.service import ServiceSpec
    from sim.run import SimSetup

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130   # 128 + SIGINT, as an interrupted live run


def sim_setup(scenario: Scenario, services: Mapping[str, ServiceSpec], gateway_cpu_s: float = 0.0) -> SimSetup:
    """The twin's setup of ``scenario``: the live planner's plan at time_scale 1, plus the service models.

    Raises ``PlanError`` or ``ValueError`` naming what the twin cannot run.
    """
    # lazy: the planner and the twin (~2 s) are loaded by a sim run, not by `llmdrill list` or `run --help`
    from drill.live.plan import make_plan
    from sim.scenario import setup_for

    plan = make_plan(replace(scenario, time_scale=1.0), "sim")
    return setup_for(plan.run, plan.gateway, plan.faults, plan.steps, plan.run_info,
                     services=services, gateway_cpu_s=gateway_cpu_s)


def run_sim_command(args: argparse.Namespace) -> int:
    # lazy, as in sim_setup: the collector, the planner and the twin for a sim run alone
    from drill.live.collect import finish_report
    from drill.live.plan import PlanError
    from sim.scenario import simulate
    from sim.service_flag import parse_service_flag

    try:
        services = dict(parse_service_flag(text) for text in args.service or ())
        scenario = load_named(args.scenario, None, args.seed)
        if args.time_scale is not None and args.time_scale != 1.0:
            print(f"llmdrill: --time-scale {args.time_scale:g} ignored: the twin runs virtual time at scale 1",
                  file=sys.stderr)
        setup = sim_setup(scenario, services, args.gateway_cpu)
    except ScenarioError as exc:
        print("\n".join(str(prob) for prob in exc.problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError) as exc:
        print(f"{args.scenario}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-sim-{time.strftime('%Y%m%d-%H%M%S')}"
    print(f"llmdrill: {scenario.name} — {scenario.duration_s:.0f} s of virtual time (mode sim, gateway CPU "
          f"{args.gateway_cpu:g} s/request); run directory {out}", flush=True)
    result = simulate(setup, out)
    if result.interrupted:
        print_verdict(out, finish_report(out, "interrupted by SIGINT"), None, partial=True)
        print(f"llmdrill: interrupted at {result.simulated_s:.0f} s of virtual time; partial report in {out}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"llmdrill: simulated {result.requests} requests in {result.wall_s:.1f} s "
          f"({result.requests / max(result.wall_s, 1e-9):,.0f} requests per wall second)", flush=True)
    return print_verdict(out, finish_report(out), None)
