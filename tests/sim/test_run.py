"""A twin run end to end: records, conservation, determinism, the timeline, and the command."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from drill.cli import main
from fake_providers.faults.plan import FaultPlan
from gateway.config import config_from_mapping
from gateway.outcomes import PROVIDERS
from reports.io import load_run
from scenarios.schema import Prompts
from sim.run import SimSetup, run_sim
from sim.scenario import corpus_prompts
from sim.steps import ProxyDown, Step, ToxicAdd, ToxicRemove, admin_step
from workload.schedule import Stage, expected_count

PROMPTS = corpus_prompts(Prompts(n=300))


def setup(seed: int = 5, faults: list[dict[str, Any]] | None = None, steps: tuple[Step, ...] = (),
          until: float = 120.0, rate: float = 10.0, baseline: str | None = None, **stack: Any) -> SimSetup:
    config = config_from_mapping({"seed": seed, **stack})
    plan: dict[str, Any] = {"faults": faults or []}
    if baseline is not None:
        plan["baseline"] = baseline
    return SimSetup(config, FaultPlan.parse(plan), (Stage(until, rate),), PROMPTS, seed, steps=steps)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_arrival_is_exactly_one_request_record(tmp_path: Path) -> None:
    result = run_sim(setup(), tmp_path)
    records = lines(tmp_path / "requests.jsonl")
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == result.requests
    assert sorted(ids) == list(range(len(ids)))
    assert abs(len(ids) - expected_count((Stage(120.0, 10.0),))) < 5 * 35   # Poisson: within 5 sigma
    assert result.lost == 0
    run = load_run(tmp_path)   # the report's own reader accepts every line
    assert not run.problems or all("run.json" in p for p in run.problems)
    assert len(run.calls) == result.calls > 0


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not(tmp_path: Path) -> None:
    faults = [{"at": "30s", "until": "60s", "provider": "qwen", "error": {"status": 500}, "probability": 0.5}]
    for name, seed in (("a", 9), ("b", 9), ("c", 10)):
        run_sim(setup(seed, faults), tmp_path / name)
    for f in ("requests.jsonl", "calls.jsonl", "events.jsonl"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a" / "requests.jsonl").read_bytes() != (tmp_path / "c" / "requests.jsonl").read_bytes()


def test_a_provider_outage_opens_its_breaker_and_traffic_fails_over(tmp_path: Path) -> None:
    faults = [{"at": "20s", "until": "80s", "provider": "qwen", "connection": "refuse"}]
    run_sim(setup(faults=faults, cache={"enabled": False}), tmp_path)
    calls = lines(tmp_path / "calls.jsonl")
    refused = [c for c in calls if c["provider"] == "qwen" and c["result"] == "connection_refused"]
    assert refused and all(20 <= c["t_s"] < 80 for c in refused)
    breaker = [e for e in lines(tmp_path / "events.jsonl") if e["kind"] == "breaker"]
    assert any(e["detail"]["provider"] == "qwen" and e["detail"]["to_state"] == "open" for e in breaker)
    requests = lines(tmp_path / "requests.jsonl")
    during = [r for r in requests if 25 <= r["intended_s"] < 80]
    assert during and all(r["outcome"] == "ok" for r in during)
    assert Counter(r["provider"] for r in during)["qwen"] == 0


def test_timeline_steps_apply_at_their_virtual_time_and_bad_ones_are_recorded(tmp_path: Path) -> None:
    steps: tuple[Step, ...] = (
        admin_step(30.0, {"provider": "claude"}, PROVIDERS, "pin claude"),
        ToxicAdd(40.0, "claude", "slow", "latency", attributes={"latency": 2000}),
        # a provider the gateway knows but this stack disabled: live, the gateway answers 400
        admin_step(50.0, {"provider": "openai"}, PROVIDERS),
        ToxicRemove(60.0, "claude", "slow"),
        ProxyDown(70.0, "claude"),
    )
    run_sim(setup(steps=steps, baseline="300ms", cache={"enabled": False},
                  providers={"openai": {"enabled": False}}), tmp_path)
    applied = [e for e in lines(tmp_path / "events.jsonl") if e["kind"] in ("action", "toxic")]
    assert [e["t_s"] for e in applied] == [30.0, 40.0, 50.0, 60.0, 70.0]
    assert [e["detail"]["step"] for e in applied] == ["admin", "toxic_add", "admin", "toxic_remove", "proxy_down"]
    assert applied[0]["detail"]["body"] == {"provider": "claude"} and applied[0]["detail"]["label"] == "pin claude"
    assert "error" in applied[2]["detail"] and "'openai'" in applied[2]["detail"]["error"]
    assert all("error" not in e["detail"] for i, e in enumerate(applied) if i != 2)
    calls = lines(tmp_path / "calls.jsonl")
    pinned = [c for c in calls if 31 <= c["t_s"] < 69]
    assert pinned and all(c["provider"] == "claude" for c in pinned)
    slow = [c["latency_s"] for c in pinned if 41 <= c["t_s"] < 59]
    fast = [c["latency_s"] for c in pinned if 61 <= c["t_s"] < 69]
    assert slow and min(slow) == pytest.approx(2.3) and max(fast) == pytest.approx(0.3)
    down = [c for c in calls if c["t_s"] >= 70.5 and c["provider"] == "claude"]
    assert all(c["result"] == "connection_refused" for c in down)


def test_a_bad_setup_names_its_field() -> None:
    with pytest.raises(ValueError, match="services"):
        SimSetup(config_from_mapping({}), FaultPlan.parse({"faults": []}), (Stage(1.0, 1.0),), PROMPTS, 1,
                 services={"mistral": None})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="gateway_cpu_s"):
        SimSetup(config_from_mapping({}), FaultPlan.parse({"faults": []}), (Stage(1.0, 1.0),), PROMPTS, 1,
                 gateway_cpu_s=-1.0)


def test_gateway_cpu_time_is_added_to_every_request(tmp_path: Path) -> None:
    base = setup(cache={"enabled": False})
    run_sim(base, tmp_path / "zero")
    from dataclasses import replace

    run_sim(replace(base, gateway_cpu_s=0.25), tmp_path / "cpu")
    a = {r["id"]: r["latency_s"] for r in lines(tmp_path / "zero" / "requests.jsonl")}
    b = {r["id"]: r["latency_s"] for r in lines(tmp_path / "cpu" / "requests.jsonl")}
    assert a.keys() == b.keys()
    assert sum(b.values()) / len(b) - sum(a.values()) / len(a) == pytest.approx(0.25, abs=0.05)


def test_llmdrill_run_mode_sim_writes_the_same_report_for_the_same_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("one", "two"):
        code = main(["run", "provider-down", "--mode", "sim", "--gateway-cpu", "0.002", "--service",
                     "claude:concurrency=4,queue=8", "--out", str(tmp_path / name)])
        assert code in (0, 1), capsys.readouterr().err
    out = capsys.readouterr().out
    assert "mode sim" in out and "verdict:" in out
    info = json.loads((tmp_path / "one" / "run.json").read_text(encoding="utf-8"))
    assert info["mode"] == "sim" and info["sim"]["gateway_cpu_s"] == 0.002 and info["time_scale"] == 1.0
    assert info["sim"]["services"]["claude"]["concurrency"] == 4
    one = json.loads((tmp_path / "one" / "report.json").read_text(encoding="utf-8"))
    two = json.loads((tmp_path / "two" / "report.json").read_text(encoding="utf-8"))
    assert one == two
    assert one["mode"] == "sim" and one["requests"]["lost"] == 0
    assert one["requests"]["sent"] == one["requests"]["succeeded"] + one["requests"]["failed"]


def test_llmdrill_run_mode_sim_refuses_a_bad_cpu_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "provider-down", "--mode", "sim", "--gateway-cpu", "-1"]) == 2
    assert "--gateway-cpu" in capsys.readouterr().err


def test_past_the_in_flight_cap_requests_are_shed_with_429(tmp_path: Path) -> None:
    run_sim(setup(rate=40.0, until=30.0, baseline="2s", cache={"enabled": False}, limits={"max_in_flight": 10}),
            tmp_path)
    records = lines(tmp_path / "requests.jsonl")
    shed = [r for r in records if r["status"] == 429]
    assert shed and all(r["outcome"] == "failed" and r["error"] == "http_429" for r in shed)
    served = [r for r in records if r["status"] == 200]
    assert served and max(r["latency_s"] for r in served) < 10   # the admitted keep their latency


def test_the_limits_reading_puts_the_primary_provider_last(tmp_path: Path) -> None:
    run_sim(setup(until=10.0), tmp_path)
    limits = [e for e in lines(tmp_path / "events.jsonl") if e["kind"] == "limits"]
    assert [e["detail"]["provider"] for e in limits][-1] == "qwen"
    assert len(limits) == 3 and all(isinstance(e["detail"]["requests_remaining"], int) for e in limits)


def test_a_network_fault_the_twin_cannot_model_is_refused_before_the_run() -> None:
    from reports.runinfo import RunInfo
    from sim.scenario import setup_for

    class Run:   # the fields of a scenario that setup_for reads
        seed = 1
        load = type("L", (), {"stages": (), "prompts": Prompts(n=10), "arrival": "poisson",
                              "client_timeout_s": 30.0})()

    steps = [ToxicAdd(5.0, "qwen", "cut", "slicer", label="slice qwen")]
    with pytest.raises(ValueError, match=r"'slice qwen' at 5s: type: the twin models"):
        setup_for(Run(), config_from_mapping({}), FaultPlan.parse({"faults": []}), steps,  # type: ignore[arg-type]
                  RunInfo("x"))


@pytest.mark.parametrize(
    ("flag", "message"),
    [("mistral:concurrency=2", "unknown provider 'mistral'"), ("qwen", "expected qwen:concurrency=N"),
     ("qwen:concurency=2", "did you mean 'concurrency'"), ("qwen:queue=3", "concurrency is required"),
     ("qwen:concurrency=two", "concurrency: expected an integer"), ("qwen:concurrency=1,ttft=soon", "ttft"),
     ("qwen:concurrency=1,overflow_status=500", "overflow_status")],
)
def test_a_bad_service_flag_names_what_is_wrong(flag: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "provider-down", "--mode", "sim", "--service", flag]) == 2
    err = capsys.readouterr().err
    assert message in err and "--service" in err and "Traceback" not in err


def test_a_service_flag_reaches_the_twin() -> None:
    from sim.service_flag import parse_service_flag

    provider, spec = parse_service_flag("claude:concurrency=4,queue=10,tokens_per_s=40,ttft=300ms,overflow_status=429")
    assert provider == "claude"
    assert (spec.concurrency, spec.queue, spec.tokens_per_s, spec.ttft_s, spec.overflow_status) == \
        (4, 10, 40.0, 0.3, 429)
