"""Whatever the faults, a twin run accounts for every request exactly once, and an interrupted one too."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from gateway.config import config_from_mapping
from gateway.outcomes import FailureKind
from reports.records import FAILED, LOST, OK
from scenarios.schema import Prompts
from sim.run import SimSetup, run_sim
from sim.scenario import corpus_prompts
from sim.steps import ProxyDown, ProxyUp, Step, ToxicAdd
from workload.schedule import Stage

PROMPTS = corpus_prompts(Prompts(n=50))
RESULTS = {"ok"} | {k.value for k in FailureKind}

effects = st.one_of(
    st.builds(lambda s: {"error": {"status": s}}, st.sampled_from([429, 500, 502, 503, 529, 400])),
    st.builds(lambda m: {"connection": m}, st.sampled_from(["refuse", "reset", "hang"])),
    st.builds(lambda v: {"bad_json": v}, st.sampled_from(["truncated", "prose", "wrong_schema", "empty",
                                                          "wrong_content_type"])),
    st.builds(lambda ms: {"latency": f"{ms}ms"}, st.integers(0, 15_000)),
    st.just({"quota": {"rpm": 30, "tpm": 20_000}}),
    st.just({"capacity": {"concurrency": 2, "queue": 3}}),
    st.just({"quality": {"confidence": 0.5, "wrong_entity_rate": 0.5}}),
)
rules = st.builds(
    # quota and capacity are emergent state, not draws: they take no probability
    lambda effect, at, span, provider, p: {"at": f"{at}s", "until": f"{at + span}s", "provider": provider,
                                           **({} if {"quota", "capacity"} & set(effect) else {"probability": p}),
                                           **effect},
    effects, st.integers(0, 30), st.integers(1, 40), st.sampled_from(["qwen", "claude", "openai", "*"]),
    st.sampled_from([0.3, 1.0]),
)
toxics = st.builds(
    lambda kind, attrs, at, target: ToxicAdd(float(at), target, f"t{at}{target}", kind, attributes=attrs),
    *(st.sampled_from(["latency", "timeout", "reset_peer", "bandwidth"]),
      st.fixed_dictionaries({"latency": st.integers(0, 5000), "timeout": st.integers(0, 3000),
                             "rate": st.integers(0, 50)}),
      st.integers(0, 40), st.sampled_from(["qwen", "claude", "openai"])),
)


def records(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "requests.jsonl").read_text(encoding="utf-8").splitlines()]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faults=st.lists(rules, max_size=4), steps=st.lists(toxics, max_size=3, unique_by=lambda s: s.name),
       seed=st.integers(0, 1000), downs=st.booleans())
def test_every_request_gets_exactly_one_record_whatever_the_faults(
    faults: list[dict[str, Any]], steps: list[ToxicAdd], seed: int, downs: bool
) -> None:
    all_steps: tuple[Step, ...] = tuple(steps) + ((ProxyDown(10.0, "claude"), ProxyUp(30.0, "claude")) if downs
                                                  else ())
    setup = SimSetup(config_from_mapping({"seed": seed}), FaultPlan.parse({"faults": faults}),
                     (Stage(50.0, 4.0),), PROMPTS, seed, client_timeout_s=30.0, steps=all_steps)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_sim(setup, Path(tmp))
        got = records(Path(tmp))
        calls = [json.loads(line) for line in (Path(tmp) / "calls.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in got) == list(range(len(got))) and len(got) == result.requests
    assert result.lost == 0 and all(r["outcome"] in (OK, FAILED) for r in got)
    assert all(r["latency_s"] <= 30.0 for r in got)
    assert all(c["result"] in RESULTS for c in calls)


def test_an_interrupted_run_keeps_one_record_per_arrival(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    decide = FaultEngine.decide
    seen = [0]

    def interrupting(self: FaultEngine, *args: Any, **kwargs: Any) -> Any:
        seen[0] += 1
        if seen[0] == 300:
            raise KeyboardInterrupt
        return decide(self, *args, **kwargs)

    monkeypatch.setattr(FaultEngine, "decide", interrupting)
    setup = SimSetup(config_from_mapping({"seed": 1, "cache": {"enabled": False}}), FaultPlan.parse({"faults": []}),
                     (Stage(600.0, 5.0),), PROMPTS, 1)
    result = run_sim(setup, tmp_path)
    got = records(tmp_path)
    assert result.interrupted and result.simulated_s < 600
    assert sorted(r["id"] for r in got) == list(range(len(got)))
    assert result.lost >= 1 and sum(r["outcome"] == LOST for r in got) == result.lost
