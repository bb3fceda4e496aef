"""One point of a plan, run where it lands (this process, a pool worker, a Dask worker).

A top-level function of plain data, so any executor can ship it: the point's
scenario is rebuilt from its job, planned by the live planner at time_scale 1,
run by the twin, and judged by the same report code as any run; only
``report.json`` is written (a sweep reads numbers, not pages and plots).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from drill.live.collect import build_run_report
from drill.sim_command import sim_setup
from reports.write_json import render_json
from sim.plan.points import PointJob, point_scenario
from sim.plan.result import PointResult
from sim.scenario import simulate
from sim.service_flag import parse_service_flag

__all__ = ["point_yaml", "prepare", "run_point"]


def prepare(job: PointJob) -> None:
    """Everything that can be refused about ``job`` before any point runs (``ScenarioError``/``PlanError``/
    ``ValueError``)."""
    services = dict(parse_service_flag(f"{p}:{text}") for p, text in job.services)
    sim_setup(point_scenario(job), services)


def point_yaml(job: PointJob) -> str:
    doc = dict(job.document)
    doc["name"] = f"{doc.get('name', 'plan')}-point-{job.index}"[:64]
    if job.seed is not None:
        doc["seed"] = job.seed
    head = f"# plan point {job.index}: {job.label}\n"
    if job.services:
        head += "# the twin also modelled: " + "; ".join(f"{p}: {t}" for p, t in job.services) + "\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def run_point(job: PointJob) -> PointResult:
    started = time.perf_counter()
    services = dict(parse_service_flag(f"{p}:{text}") for p, text in job.services)
    setup = sim_setup(point_scenario(job), services)
    out = Path(job.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # the point as a scenario file of its own: `llmdrill run` checks a recommendation live
    (out / "scenario.yaml").write_text(point_yaml(job), encoding="utf-8")
    simulate(setup, out)
    text = render_json(build_run_report(out))
    (out / "report.json").write_text(text, encoding="utf-8")
    return PointResult.from_report(job.index, job.label, job.knobs, json.loads(text),
                                   time.perf_counter() - started)
