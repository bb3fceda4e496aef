"""time_scale multiplies every time and divides every rate, and nothing else; toxics in Toxiproxy's units."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import Scenario, format_duration, load_scenario_text
from scenarios.phases import derive_phases
from scenarios.scaling import window_holds
from scenarios.schema import FaultWindow

TEMPLATE = """\
name: scaled
duration: {duration}
time_scale: {scale}
load:
  client_timeout: {timeout}
  stages:
    - {{until: {half}, rate: {rate1}}}
    - {{until: {duration}, rate: {rate2}}}
stack:
  timeout: {timeout}
  breaker: {{failure_threshold: 5, recovery_timeout: {timeout}}}
  providers: {{qwen: {{rpm: 100, weight: 0.7}}}}
faults:
  - {{at: {at}, until: {until}, provider: qwen, latency: {{dist: uniform, min: {lat}, max: {lat2}}}}}
  - {{at: {at}, provider: claude, error: {{status: 429, retry_after: {lat}}}}}
  - {{at: {at}, provider: openai, quota: {{rpm: 100, tpm: 60000}}}}
network:
  - {{at: {at}, until: {until}, provider: qwen, toxic: latency, latency: {lat}, jitter: {lat}}}
  - {{at: {at}, provider: openai, toxic: bandwidth, rate: 50KB/s}}
actions:
  - {{at: {at}, admin: {{provider: claude}}}}
phases:
  - {{name: one, at: {at}, until: {until}}}
"""

seconds = st.integers(1, 3600)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Scenario, dict[str, float]]:
    duration = draw(st.integers(20, 7200))
    at = draw(st.integers(0, duration - 10))
    until = draw(st.integers(at + 1, duration))
    values = {
        "duration": duration,
        "half": duration // 2,
        "at": at,
        "until": until,
        "timeout": draw(seconds),
        "lat": draw(st.integers(1, 60)),
        "lat2": 61,
        "rate1": draw(st.integers(0, 20)),
        "rate2": draw(st.integers(0, 20)),
        "scale": draw(st.sampled_from([0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 10.0])),
    }
    text = TEMPLATE.format(
        **{k: format_duration(v) if k not in ("rate1", "rate2", "scale") else v for k, v in values.items()}
    )
    return load_scenario_text(text, "scaled.yaml"), values


@given(scenarios())
@settings(max_examples=60, deadline=None)
def test_scaled_multiplies_every_time_and_divides_every_rate(case: tuple[Scenario, dict[str, float]]) -> None:
    scenario, v = case
    k = v["scale"]
    run = scenario.scaled()
    approx = lambda x: pytest.approx(x * k, rel=1e-9, abs=1e-9)  # noqa: E731
    assert run.time_scale == 1.0 and run.applied_scale == pytest.approx(k)
    assert run.duration_s == approx(v["duration"])
    assert [s.until_s for s in run.load.stages] == [approx(v["half"]), approx(v["duration"])]
    per_run_s = [pytest.approx(v["rate1"] / k, rel=1e-9), pytest.approx(v["rate2"] / k, rel=1e-9)]
    assert [s.rate for s in run.load.stages] == per_run_s
    assert run.load.client_timeout_s == approx(v["timeout"])
    stack = run.stack_config()
    assert stack["timeout"] == approx(v["timeout"])
    assert stack["breaker"]["recovery_timeout"] == approx(v["timeout"])
    assert stack["breaker"]["failure_threshold"] == 5 and stack["providers"]["qwen"]["weight"] == 0.7
    # the gateway's limiter: its compressed minute holds the scenario minute's 100 calls
    assert window_holds(stack["providers"]["qwen"]["rpm"], 60 * k) == 100
    plan = run.fault_plan()
    assert plan["time_scale"] == 1.0
    first, second, third = plan["faults"]
    assert first["at"] == approx(v["at"]) and first["until"] == approx(v["until"])
    assert first["latency"] == {"dist": "uniform", "min": approx(v["lat"]), "max": approx(61)}
    assert second["error"] == {"status": 429, "retry_after": approx(v["lat"])}
    # the quota's 60 s window is a duration and scales; rpm/tpm are rates, so the window holds the same
    assert third["quota"]["window"] == approx(60)
    assert window_holds(third["quota"]["rpm"], third["quota"]["window"]) == 100
    assert window_holds(third["quota"]["tpm"], third["quota"]["window"]) == 60000
    for window, original in zip(run.windows(), scenario.windows(), strict=True):
        assert (window.at_s, window.until_s) == (approx(original.at_s), approx(original.until_s))
    assert run.actions[0].at_s == approx(v["at"])
    assert (run.phases[0].at_s, run.phases[0].until_s) == (approx(v["at"]), approx(v["until"]))
    toxic = run.network[0].to_toxiproxy()
    assert toxic["attributes"] == {
        "latency": round(v["lat"] * k * 1000),
        "jitter": round(v["lat"] * k * 1000),
    }
    assert scenario.network[0].to_toxiproxy(k) == toxic  # scaling at send time gives the same body
    assert run.network[1].to_toxiproxy()["attributes"] == {"rate": max(1, round(50 / k))}
    assert run.expect == scenario.expect


def test_scaling_is_idempotent() -> None:
    text = (
        "name: x\nduration: 10m\ntime_scale: 0.5\nload: {rate: 1/s}\nstack: {timeout: 10s}\n"
        "faults:\n  - {at: 2m, provider: qwen, latency: {dist: constant, value: 3s}}\n"
    )
    once = load_scenario_text(text, "x.yaml").scaled()
    assert once.scaled() == once
    assert once.stack_config() == {"timeout": 5.0}
    assert once.fault_plan()["faults"][0] == {
        "at": 60.0,
        "provider": "qwen",
        "latency": {"dist": "constant", "value": 1.5},
    }


def test_fault_plan_is_in_run_seconds_unless_asked_as_written() -> None:
    text = (
        "name: x\nduration: 10m\ntime_scale: 0.1\nload: {rate: 1/s}\n"
        "faults:\n  - {at: 2m, provider: qwen, label: slow, latency: {dist: constant, value: 3s}}\n"
        "  - {at: 2m, provider: qwen, quota: {rpm: 100, tpm: 60000}}\n"
    )
    scenario = load_scenario_text(text, "x.yaml")
    assert scenario.fault_plan(as_written=True) == {
        "faults": [
            {"at": "2m", "provider": "qwen", "latency": {"dist": "constant", "value": "3s"}},
            {"at": "2m", "provider": "qwen", "quota": {"rpm": 100, "tpm": 60000}},
        ],
        "time_scale": 0.1,
    }
    run_plan = scenario.fault_plan()
    assert run_plan["time_scale"] == 1.0
    assert run_plan["faults"][0]["at"] == pytest.approx(12.0)
    assert run_plan["faults"][0]["latency"]["value"] == pytest.approx(0.3)
    # the window compresses and the rates grow: a 6 s window holds the scenario minute's 100 requests
    assert run_plan["faults"][1]["quota"] == {"rpm": 1000, "tpm": 600000, "window": pytest.approx(6.0)}
    assert scenario.windows()[0].label == "slow"


@pytest.mark.parametrize(
    ("line", "body"),
    [
        (
            "toxic: latency, latency: 3s, jitter: 500ms",
            {"type": "latency", "attributes": {"latency": 3000, "jitter": 500}},
        ),
        ("toxic: bandwidth, rate: 100KB/s", {"type": "bandwidth", "attributes": {"rate": 100}}),
        ("toxic: bandwidth, rate: 1MB/s", {"type": "bandwidth", "attributes": {"rate": 1000}}),
        ("toxic: slow_close, delay: 2s", {"type": "slow_close", "attributes": {"delay": 2000}}),
        ("toxic: timeout, timeout: 0", {"type": "timeout", "attributes": {"timeout": 0}}),
        ("toxic: reset_peer", {"type": "reset_peer", "attributes": {"timeout": 0}}),
        (
            "toxic: slicer, average_size: 64, size_variation: 32B, delay: 10ms",
            {"type": "slicer", "attributes": {"average_size": 64, "size_variation": 32, "delay": 10_000}},
        ),
        ("toxic: limit_data, bytes: 2KB", {"type": "limit_data", "attributes": {"bytes": 2000}}),
    ],
)
def test_to_toxiproxy_units(line: str, body: dict[str, object]) -> None:
    text = f"name: x\nduration: 1m\nload: {{rate: 1/s}}\nnetwork:\n  - {{provider: qwen, {line}}}\n"
    (net,) = load_scenario_text(text, "x.yaml").network
    out = net.to_toxiproxy()
    assert {k: out[k] for k in body} == body
    assert out["stream"] == "downstream" and out["toxicity"] == 1.0 and out["name"].startswith("llmdrill0_")


def test_down_disables_the_proxy() -> None:
    text = "name: x\nduration: 1m\nload: {rate: 1/s}\nnetwork:\n  - {provider: '*', toxic: down, at: 10s}\n"
    (net,) = load_scenario_text(text, "x.yaml").network
    assert net.is_down and net.to_toxiproxy() == {"enabled": False}
    assert net.proxies(("qwen", "claude", "openai")) == ("qwen", "claude", "openai")


windows = st.lists(
    st.tuples(st.integers(0, 99), st.integers(1, 100)).map(lambda t: (min(t), max(t[0] + 1, t[1]))),
    max_size=5,
)


@given(windows)
@settings(max_examples=150, deadline=None)
def test_derived_phases_tile_the_run(spans: list[tuple[int, int]]) -> None:
    duration = 100.0
    fault_windows = [
        FaultWindow(i, float(a), float(min(b, 100)), "qwen", "", "fault") for i, (a, b) in enumerate(spans)
    ]
    phases = derive_phases(fault_windows, duration)
    assert phases[0].at_s == 0.0 and phases[-1].until_s == duration
    for before, after in itertools.pairwise(phases):
        assert before.until_s == after.at_s and before.name != after.name
    for phase in phases:
        midpoint = (phase.at_s + phase.until_s) / 2
        active = [w.index for w in fault_windows if w.at_s <= midpoint < w.until_s]
        assert phase.name.startswith("fault ") == bool(active)
