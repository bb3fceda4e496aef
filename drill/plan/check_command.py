"""``llmdrill plan-check DIR``: run a plan's recommended point live, compressed, and check the SLO it claimed.

``DIR`` is a ``llmdrill plan`` output directory: its ``recommendation.json``
names the recommended point and the SLO, ``point-NNNN/scenario.yaml`` is that
point as a scenario, and ``point-NNNN/report.json`` is what the twin measured
there.  The point runs live (fakes, proxy, gateway, Locust) at a compressed
time_scale — 0.1 unless the compression check refuses it, then the smallest
safe one — and its p95, error rate and worst severity are set beside the
twin's against the SLO.  Exit 0 when the live run agrees with the twin's
verdict (for the recommended point: it holds the SLO), 1 when it does not, 2
for bad input, 3 when the live run left no report.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drill.live.plan import LivePlan
    from scenarios.schema import Scenario

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 1, 2, 3
#: the live check's compression unless the scenario asks otherwise: a 10-minute point in a minute
DEFAULT_TIME_SCALE = 0.1


class _Refused(Exception):
    """Bad input: the message says what and where."""


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="llmdrill plan-check",
                                description="Run a plan's recommended point live and check the SLO it claimed.")
    p.add_argument("dir", help="a `llmdrill plan` output directory (with recommendation.json)")
    p.add_argument("--point", type=int, help="check this point instead of the recommended one")
    p.add_argument("--time-scale", type=float,
                   help=f"the live run's time_scale (default {DEFAULT_TIME_SCALE:g}, or the smallest safe one)")
    p.add_argument("--out", help="the live run's directory (default DIR/point-NNNN/live)")
    return p.parse_args(argv)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Refused(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _Refused(f"{path}: cannot read it as JSON: {exc}") from None


def _point(doc: Any, given: int | None, recommendation: Path) -> int:
    if given is not None:
        if given < 0:
            raise _Refused(f"--point must be >= 0, got {given}")
        return given
    point = doc.get("point") if isinstance(doc, dict) else None
    if isinstance(point, int) and not isinstance(point, bool) and point >= 0:
        return point
    if point is None:
        raise _Refused(f"{recommendation}: point: the plan recommends no configuration (it has no target, or "
                       "no configuration swept held it); name one with --point N")
    raise _Refused(f"{recommendation}: point: expected a point index, got {point!r}")


def _live_plan(scenario: Scenario, time_scale: float | None) -> LivePlan:
    """The live plan at ``time_scale``, or at the default and else the smallest safe scale."""
    from drill.live.plan import make_plan  # lazy, as in plan_check

    if time_scale is not None:
        if not 0 < time_scale <= 10:
            raise _Refused(f"--time-scale must be in (0, 10], got {time_scale:g}")
        plan = make_plan(replace(scenario, time_scale=time_scale))
    else:
        plan = make_plan(replace(scenario, time_scale=DEFAULT_TIME_SCALE))
        smallest = plan.compression.smallest_safe_scale
        if not plan.compression.safe and smallest <= 1.0:
            plan = make_plan(replace(scenario, time_scale=smallest))
    if not plan.compression.safe:
        raise _Refused(f"{scenario.source}: refused before starting: {plan.compression.message()}")
    return plan


def plan_check(argv: list[str]) -> int:
    args = _parse_args(argv)
    # lazy: the live stack and the twin (~1.5 s) once the arguments parse, so `plan-check --help` is quick
    from drill.command_inputs import loopback_only
    from drill.live.orchestrate import run_live
    from drill.live.plan import PlanError
    from scenarios.loader import load_scenario
    from scenarios.problems import ScenarioError
    from sim.fidelity import render_checks
    from sim.plan.check import RECOMMENDATION_FILE, judge_point, slo_of

    root = Path(args.dir)
    recommendation = root / RECOMMENDATION_FILE
    try:
        if not recommendation.exists():
            raise _Refused(f"{root}: not a plan output directory (no {RECOMMENDATION_FILE}); run llmdrill plan first")
        doc = _read_json(recommendation)
        if not isinstance(doc, dict):
            raise _Refused(f"{recommendation}: expected a JSON object")
        try:
            slo = slo_of(doc)
        except ValueError as exc:
            raise _Refused(f"{recommendation}: {exc}") from None
        index = _point(doc, args.point, recommendation)
        point_dir = root / f"point-{index:04d}"
        twin_report = _read_json(point_dir / "report.json")
        scenario = load_scenario(point_dir / "scenario.yaml")
        plan = _live_plan(scenario, args.time_scale)
    except _Refused as exc:
        print(f"llmdrill plan-check: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ScenarioError as exc:
        print("\n".join(str(p) for p in exc.problems), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanError, ValueError) as exc:
        print(f"llmdrill plan-check: {point_dir / 'scenario.yaml'}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out else point_dir / "live"
    which = "the recommended point" if args.point is None else "point"
    scale = plan.scenario.time_scale
    print(f"llmdrill plan-check: {which} {index} ({doc.get('label') or point_dir.name}) live at time_scale "
          f"{scale:g}: {scenario.duration_s * scale:.0f} s of wall time; run directory {out}", flush=True)
    modelled = _twin_only(point_dir / "scenario.yaml")
    if modelled:
        print(f"llmdrill plan-check: note: the twin also modelled {modelled}; the live fakes run without it",
              flush=True)
    loopback_only()
    live = run_live(plan, out, view=False)
    if live.harness_error is not None or not (out / "report.json").exists():
        print(f"llmdrill plan-check: the live run failed ({live.harness_error or 'no report'}); see {out}/logs",
              file=sys.stderr)
        return EXIT_HARNESS
    verdict = judge_point(slo, twin_report, _read_json(out / "report.json"))
    print(f"SLO: {slo.describe()}  (live: this run; sim: the plan's twin run of the point)")
    print(render_checks(list(verdict.checks)))
    claim = "holds" if verdict.twin_holds else "breaks"
    seen = "holds" if verdict.live_holds else "breaks"
    print(f"plan-check: the twin said the point {claim} the SLO; live it {seen} it: "
          f"{'CONFIRMED' if verdict.agrees else 'CONTRADICTED'}")
    return EXIT_OK if verdict.agrees else EXIT_DIFFERS


def _twin_only(scenario_yaml: Path) -> str:
    """What the point's header says the twin modelled besides the scenario (service models), if anything."""
    marker = "# the twin also modelled: "
    try:
        for line in scenario_yaml.read_text(encoding="utf-8").splitlines()[:3]:
            if line.startswith(marker):
                return line[len(marker):]
    except OSError:
        return ""
    return ""
