"""``llmdrill plan PLAN.yaml``: validate every point, print the cost, sweep with a progress bar, answer.

Writes into ``--out``: ``results.csv``, ``results.md``, ``recommendation.md`` (and
``recommendation.json``, which ``llmdrill plan-check`` reads),
``plots/*.png`` and one run directory per point (its records and report.json).
Exit 0 when every point ran (whatever the SLO verdicts: a plan answers, it does
not pass or fail), 2 for a bad plan, 3 when some point failed or the cluster
could not be used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .estimate import estimate_wall_s
from .progress import Progress, clock_text

if TYPE_CHECKING:
    from scenarios.schema import Scenario
    from sim.plan.points import PointJob
    from sim.plan.spec import PlanSpec

EXIT_OK, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 2, 3


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="llmdrill plan", description="Capacity planning: sweep a plan over the twin.")
    p.add_argument("plan", help="a PLAN.yaml (see plans/)")
    p.add_argument("--out", help="output directory (default runs/plan-<name>-<time>)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="local worker processes (default: one per core; 1 runs in this process)")
    p.add_argument("--cluster", metavar="tcp://HOST:8786", help="run the points on this Dask scheduler instead")
    return p.parse_args(argv)


def plan(argv: list[str]) -> int:
    args = _parse_args(argv)
    # lazy: the planner and the twin (~1 s) once the arguments parse, so `llmdrill plan --help` is quick
    from drill.live.plan import PlanError
    from scenarios.problems import Problem, ScenarioError
    from sim.bare_model import bare_rate
    from sim.plan.points import base_scenario, jobs_for, point_scenario
    from sim.plan.spec import MAX_REQUESTS, parse_plan

    from .point import prepare

    if not 1 <= args.workers <= 256:
        _err(f"llmdrill plan: --workers must be 1..256, got {args.workers}")
        return EXIT_BAD_INPUT
    if args.cluster is not None and not args.cluster.startswith(("tcp://", "tls://", "inproc://")):
        _err(f"llmdrill plan: --cluster expects a scheduler address like tcp://HOST:8786, got {args.cluster!r}")
        return EXIT_BAD_INPUT
    try:
        path = Path(args.plan)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError([Problem(args.plan, 0, "", "no such file")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError([Problem(args.plan, 0, "", f"cannot read: {exc}")]) from None
        spec = parse_plan(text, args.plan)
        base, base_file = base_scenario(spec)
        out = Path(args.out) if args.out else Path("runs") / f"plan-{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        jobs = jobs_for(spec, base, base_file, out)
        # the cheap check first, so that a huge plan is refused at once
        requests = sum(_expected_requests(point_scenario(job)) for job in jobs)
        if requests > MAX_REQUESTS:
            raise ScenarioError([Problem(spec.file, spec.sweep_line, "sweep",
                                         f"the plan simulates {requests:,.0f} requests over {len(jobs)} points, more "
                                         f"than {MAX_REQUESTS:,}; sweep fewer values or shorten the duration")])
        # the stack, faults and services decide what the planner and the twin can refuse, not the load:
        # one check per distinct configuration (a traffic sweep adds none)
        distinct = {_config_key(job): job for job in reversed(jobs)}
        if len(distinct) > 20:
            print(f"llmdrill plan: checking {len(distinct)} distinct configurations…", file=sys.stderr, flush=True)
        for job in sorted(distinct.values(), key=lambda j: j.index):
            try:
                prepare(job)
            except (PlanError, ValueError) as exc:
                raise ScenarioError([Problem(job.source, 0, "", str(exc))]) from None
    except ScenarioError as exc:
        _err("\n".join(str(p) for p in exc.problems))
        return EXIT_BAD_INPUT
    workers = 1 if args.cluster else min(args.workers, len(jobs))
    speed = bare_rate()
    estimate = estimate_wall_s(requests, len(jobs), workers, speed)
    where = (f"Dask cluster {args.cluster}, at this machine's speed per worker" if args.cluster
             else f"{workers} local worker(s)")
    print(f"llmdrill plan: {spec.name} — {len(jobs)} points, {requests:,.0f} simulated requests; "
          f"estimated wall time {_clock(estimate)} on {where} (this machine runs a bare SimPy M/M/c at "
          f"{speed:,.0f} requests/s now); output {out}", flush=True)
    return _sweep(spec, jobs, out, args.workers, args.cluster)


def _config_key(job: PointJob) -> str:
    rest = {k: v for k, v in job.document.items() if k != "load"}
    return json.dumps([rest, job.services], sort_keys=True, default=str)


def _expected_requests(scenario: Scenario) -> float:
    stages = scenario.load.stages
    total, start = 0.0, 0.0
    for stage in stages:
        total += stage.rate * (stage.until_s - start)
        start = stage.until_s
    return total


def _clock(seconds: float) -> str:
    return clock_text(seconds)


def _sweep(spec: PlanSpec, jobs: list[PointJob], out: Path, workers: int, cluster: str | None) -> int:
    # lazy, as in plan; the plots load matplotlib (~1 s) only here
    from sim.plan.check import RECOMMENDATION_FILE, recommendation_doc
    from sim.plan.plots import render_plots
    from sim.plan.recommend import recommend
    from sim.plan.result import PointResult
    from sim.plan.table import failures_markdown, render_csv, render_markdown

    from .execute import ClusterError, Outcome, run_points

    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(jobs))

    def done(outcome: Outcome) -> None:
        progress.step("" if isinstance(outcome, PointResult) else f"a point failed: {outcome}")

    try:
        outcomes = run_points(jobs, workers, cluster, done)
    except ClusterError as exc:
        _err(f"llmdrill plan: {exc}")
        return EXIT_HARNESS
    results = [o for o in outcomes if isinstance(o, PointResult)]
    failed = [(job.index, job.label, o) for job, o in zip(jobs, outcomes, strict=True) if isinstance(o, str)]
    (out / "results.csv").write_text(render_csv(spec, results), encoding="utf-8")
    table = render_markdown(spec, results) + failures_markdown(failed)
    (out / "results.md").write_text(table, encoding="utf-8")
    if not results:
        _err(f"llmdrill plan: every point failed; see {out}/point-*/point-error.txt")
        return EXIT_HARNESS
    rec = recommend(spec, results)
    (out / "recommendation.md").write_text(rec.text + "\n", encoding="utf-8")
    # the same answer as data, for `llmdrill plan-check DIR` to check it live
    (out / RECOMMENDATION_FILE).write_text(json.dumps(recommendation_doc(spec, rec), indent=2) + "\n",
                                           encoding="utf-8")
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    for name, png in render_plots(spec, results, rec).items():
        (plots / name).write_bytes(png)
    print(table, end="")
    print("\n" + rec.text)
    print(f"\nllmdrill plan: table {out}/results.csv (and .md), plots {plots}/, recommendation {out}/recommendation.md")
    if rec.cheapest is not None:
        print(f"llmdrill plan: check it live with: llmdrill plan-check {out}")
    if failed:
        _err(f"llmdrill plan: {len(failed)} point(s) failed; see {out}/point-*/point-error.txt")
        return EXIT_HARNESS
    return EXIT_OK
