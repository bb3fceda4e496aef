"""From a plan to its points' scenarios: the base scenario's YAML with each point's knobs applied.

A ``PointJob`` is what travels to a worker process or a Dask worker: plain,
picklable data (the edited YAML mapping and its lines), rebuilt there into a
``Scenario`` by the scenario loader, so a worker needs nothing of the parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scenarios.build import build_scenario
from scenarios.library import find
from scenarios.problems import Problem, ScenarioError
from scenarios.schema import Scenario
from scenarios.yamltree import FieldPath, Located, parse_yaml

from .knobs import apply_knobs
from .spec import PlanSpec, Point

__all__ = ["PointJob", "base_scenario", "jobs_for", "point_scenario"]


@dataclass(frozen=True, slots=True)
class PointJob:
    index: int
    label: str
    knobs: tuple[tuple[str, Any], ...]
    document: Mapping[str, Any]
    lines: Mapping[FieldPath, int]
    source: str
    seed: int | None
    services: tuple[tuple[str, str], ...]
    out_dir: str


def base_scenario(spec: PlanSpec) -> tuple[Located, str]:
    """The base scenario's parsed YAML and its file: a path relative to the plan, else a library name."""
    beside = Path(spec.file).parent / spec.scenario
    path = beside if beside.is_file() else find(spec.scenario)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), 0, "", f"cannot read the plan's scenario: {exc}")]) from None
    doc = parse_yaml(text, str(path))
    build_scenario(doc, str(path))   # the base itself must be a valid scenario: its errors name its own lines
    return doc, str(path)


def jobs_for(spec: PlanSpec, base: Located, base_file: str, out: Path) -> list[PointJob]:
    return [_job(spec, point, base, base_file, out) for point in spec.points]


def _job(spec: PlanSpec, point: Point, base: Located, base_file: str, out: Path) -> PointJob:
    services = tuple((k.partition(".")[2], v) for k, v in point.knobs if k.startswith("services."))
    return PointJob(point.index, point.label(), point.knobs, apply_knobs(base.value, point.knobs), base.lines,
                    f"{spec.file} point {point.index} ({point.label()}) on {base_file}", spec.seed, services,
                    str(out / f"point-{point.index:04d}"))


def point_scenario(job: PointJob) -> Scenario:
    """The point's scenario, validated; at time_scale 1 (virtual time needs no compression)."""
    scenario = build_scenario(Located(job.document, dict(job.lines)), job.source)
    changes: dict[str, Any] = {"time_scale": 1.0}
    if job.seed is not None:
        changes["seed"] = job.seed
    return replace(scenario, **changes)
