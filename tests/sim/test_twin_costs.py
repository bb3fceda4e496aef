"""What the twin adds to the core to match a live gateway: its gold probes, the stack's own cost, the timer's lag."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from drill.sim_command import sim_setup
from fake_providers.faults.plan import FaultPlan
from gateway.config import config_from_mapping
from scenarios.loader import load_scenario
from scenarios.schema import Prompts
from sim.run import SimSetup, run_sim
from sim.scenario import corpus_prompts
from workload.schedule import Stage

PROMPTS = corpus_prompts(Prompts(n=50))

SCENARIO = """\
name: gold-in-the-twin
seed: 4
duration: 2m
load: {model: open, rate: 2/s, prompts: appointments-es}
stack:
  gold_probe: {interval: 20s}
"""


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _setup(faults: list[dict[str, Any]] | None = None, **fields: Any) -> SimSetup:
    return SimSetup(config_from_mapping({"seed": 3, "cache": {"enabled": True}}),
                    FaultPlan.parse({"faults": faults or []}), (Stage(60.0, 5.0),), PROMPTS, 3, **fields)


def test_the_twin_runs_the_gateways_gold_probe_on_its_interval(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    setup = sim_setup(load_scenario(path), {})
    assert setup.config.gold_probe.cases            # the planner handed the gateway its cases, as live
    run_sim(setup, tmp_path / "run")
    probes = [e for e in _lines(tmp_path / "run" / "events.jsonl") if e["kind"] == "gold_probe"]
    times = [e["t_s"] for e in probes]
    # 2 min of load plus the drain (client timeout + slack): one probe per 20 s from the first loop tick
    assert len(probes) >= 120 // 20
    assert all(b - a >= 20.0 - 1e-9 for a, b in pairwise(times))
    assert all(e["detail"]["correct"] is True for e in probes)   # no fault: the stack answers gold right
    # down the users' path: answered by a provider or by the cache, never by the fallback while all is well
    assert {e["detail"]["source"] for e in probes} <= {"qwen", "claude", "openai", "cache"}


def test_no_cases_no_gold_probe(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("{interval: 20s}", "{cases: []}"), encoding="utf-8")
    run_sim(sim_setup(load_scenario(path), {}), tmp_path / "run")
    assert not [e for e in _lines(tmp_path / "run" / "events.jsonl") if e["kind"] == "gold_probe"]


def test_the_per_request_cost_is_drawn_from_the_samples_given(tmp_path: Path) -> None:
    samples = (0.05, 0.25)
    run_sim(_setup(overhead_samples_s=samples), tmp_path / "a")
    run_sim(_setup(overhead_samples_s=samples), tmp_path / "b")
    hits = [r["latency_s"] for r in _lines(tmp_path / "a" / "requests.jsonl") if r["cache_hit"]]
    assert len(hits) > 20
    # a cache hit costs nothing but the stack: exactly one of the samples, and both of them turn up
    assert {round(h, 9) for h in hits} == set(samples)
    assert (tmp_path / "a" / "requests.jsonl").read_bytes() == (tmp_path / "b" / "requests.jsonl").read_bytes()
    notes = _setup(overhead_samples_s=samples).model_notes()["overhead_samples"]
    assert notes["n"] == 2 and notes["max_s"] == 0.25


def test_a_timed_out_call_lasts_its_timeout_plus_the_timer_lag(tmp_path: Path) -> None:
    slow = [{"at": "0s", "until": "60s", "provider": "*", "latency": "30s"}]
    for name, lag in (("exact", 0.0), ("late", 0.004)):
        run_sim(_setup(slow, timer_lag_s=lag), tmp_path / name)
        timeouts = [c["latency_s"] for c in _lines(tmp_path / name / "calls.jsonl") if c["result"] == "timeout"]
        assert timeouts
        # the runbook's 10 s call timeout; a shorter one is the request's deadline cutting the call
        full = [t for t in timeouts if t >= 10.0 - 1e-9]
        assert full and all(t == pytest.approx(10.0 + lag, abs=1e-9) for t in full)


@pytest.mark.parametrize(("field", "value"), [("overhead_samples_s", (0.1, -0.2)), ("timer_lag_s", -1.0)])
def test_negative_costs_are_refused_by_name(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        replace(_setup(), **{field: value})
