"""The live plan carries validated values, and the live timeline applies typed steps on the wall clock."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx

from drill.live.plan import PlanError, make_plan
from drill.live.timeline import LiveApplier, TimelineDriver
from fake_providers.faults.plan import FaultPlan
from gateway.config import config_from_mapping
from gateway.outcomes import PROVIDERS
from reports.records import EventRecord
from scenarios.loader import load_scenario_text
from scenarios.schema import Scenario
from sim.steps import AdminChange, ProxyDown, ProxyUp, Step, ToxicAdd, ToxicRemove, admin_step

SCENARIO = """\
name: timeline
seed: 3
time_scale: 0.5
duration: 2m
load: {stages: [{until: 2m, rate: 2/s}]}
stack: {providers: {qwen: {rpm: 100}}}
faults:
  - {at: 10s, until: 1m, provider: qwen, error: {status: 503}, probability: 0.5}
network:
  - {at: 20s, until: 40s, provider: claude, toxic: latency, latency: 3s, jitter: 500ms}
  - {at: 30s, until: 50s, provider: "*", toxic: down}
actions:
  - {at: 1m, admin: {conservation_mode: true, provider: claude}}
expect:
  - count(lost) == 0
"""


def test_the_plan_carries_what_it_validated_and_scales_the_scenario_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    scale = Scenario.scaled

    def counting(scenario: Scenario) -> Scenario:
        calls[0] += 1
        return scale(scenario)

    monkeypatch.setattr(Scenario, "scaled", counting)
    plan = make_plan(load_scenario_text(SCENARIO, "t.yaml"), max_rate_per_s=1e9)
    assert calls[0] == 1
    assert plan.gateway == config_from_mapping(plan.gateway_overrides, "stack")
    assert plan.faults.rules == FaultPlan.parse(plan.fault_plan).rules
    assert plan.gateway.primary_provider() == "qwen"
    # run seconds: every step at half its scenario time, sorted, in Toxiproxy's units
    assert [(s.at_s, type(s)) for s in plan.steps] == [
        (10.0, ToxicAdd), (15.0, ProxyDown), (15.0, ProxyDown), (15.0, ProxyDown), (20.0, ToxicRemove),
        (25.0, ProxyUp), (25.0, ProxyUp), (25.0, ProxyUp), (30.0, AdminChange)]
    add = plan.steps[0]
    assert isinstance(add, ToxicAdd) and add.proxy == "claude"
    assert dict(add.attributes) == {"latency": 1500, "jitter": 250}
    admin = plan.steps[-1]
    assert isinstance(admin, AdminChange) and admin.change.provider == "claude"
    assert admin.body() == {"provider": "claude", "conservation_mode": True}


def test_a_toxic_the_step_vocabulary_refuses_is_a_plan_error_naming_its_line() -> None:
    bad = load_scenario_text(SCENARIO, "t.yaml")   # the loader refuses such a stream: build one past it
    with pytest.raises(PlanError) as caught:
        make_plan(replace(bad, network=(replace(bad.network[0], stream="sideways"),)), max_rate_per_s=1e9)
    [problem] = caught.value.problems
    assert problem.field_path == "network[0]" and "stream" in problem.message and problem.line == 10


class FakeToxiproxy:
    """Records what a step asks of Toxiproxy."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def add_toxic(self, proxy: str, type: str, **fields: Any) -> None:
        self.calls.append(("add", proxy, type, fields))

    def remove_toxic(self, proxy: str, name: str) -> None:
        self.calls.append(("remove", proxy, name))

    def disable(self, proxy: str) -> None:
        self.calls.append(("disable", proxy))

    def enable(self, proxy: str) -> None:
        self.calls.append(("enable", proxy))


def _applier(fake: FakeToxiproxy, gateway: str | None) -> LiveApplier:
    return LiveApplier(fake, gateway)  # type: ignore[arg-type]  # the client's four calls, recorded


def test_each_step_type_does_its_own_toxiproxy_call() -> None:
    fake = FakeToxiproxy()
    apply = _applier(fake, None)
    apply(ToxicAdd(1.0, "qwen", "slow", "latency", "upstream", 0.5, {"latency": 3000}))
    apply(ToxicRemove(2.0, "qwen", "slow"))
    apply(ProxyDown(3.0, "claude"))
    apply(ProxyUp(4.0, "claude"))
    assert fake.calls == [
        ("add", "qwen", "latency", {"name": "slow", "stream": "upstream", "toxicity": 0.5,
                                    "attributes": {"latency": 3000}}),
        ("remove", "qwen", "slow"), ("disable", "claude"), ("enable", "claude")]
    with pytest.raises(RuntimeError, match="--target"):
        apply(admin_step(5.0, {"provider": "claude"}, PROVIDERS))


@respx.mock
def test_an_admin_step_puts_its_body_and_a_refusal_raises() -> None:
    route = respx.put("http://127.0.0.1:9/admin/config").mock(
        side_effect=[httpx.Response(200, json={}), httpx.Response(400, text="provider: unknown")])
    apply = _applier(FakeToxiproxy(), "http://127.0.0.1:9")
    step = admin_step(5.0, {"provider": "auto", "conservation_mode": True}, PROVIDERS)
    apply(step)
    assert route.calls[0].request.content == b'{"provider":"auto","conservation_mode":true}'
    with pytest.raises(RuntimeError, match=r"refused \(400\)"):
        apply(step)


def test_the_driver_applies_due_steps_in_order_records_failures_and_stops_at_once() -> None:
    applied: list[Step] = []
    records: list[EventRecord] = []
    done = threading.Event()

    def apply(step: Step) -> None:
        applied.append(step)
        if isinstance(step, ProxyUp):
            raise ConnectionError("proxy gone")

    def record(event: EventRecord) -> None:
        records.append(event)
        if len(records) == 3:
            done.set()

    steps: list[Step] = [ProxyUp(0.1, "qwen"), ProxyDown(0.0, "qwen"), ToxicRemove(0.1, "qwen", "x"),
                         ProxyDown(3600.0, "claude")]
    epoch = time.monotonic()
    driver = TimelineDriver(steps, epoch, apply, record)
    driver.start()
    assert done.wait(5.0)
    started = time.monotonic()
    driver.stop()
    assert time.monotonic() - started < 1.0   # the hour-away step does not hold it
    assert [type(s) for s in applied] == [ProxyDown, ProxyUp, ToxicRemove]
    assert [r.detail["step"] for r in records] == ["proxy_down", "proxy_up", "toxic_remove"]
    assert records[1].detail["error"] == "ConnectionError: proxy gone" and "error" not in records[2].detail
    assert all(r.t_s >= r.detail["planned_s"] for r in records)
