"""The timeline's step vocabulary (``sim.steps``): checked once when built, ``due`` pure, records as always."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.outcomes import PROVIDERS
from gateway.service.admin import UNSET
from sim.steps import (
    AdminChange,
    ProxyDown,
    ProxyUp,
    Step,
    StepError,
    ToxicAdd,
    ToxicRemove,
    admin_step,
    due,
    step_record,
)

times = st.floats(0.0, 1e6, allow_nan=False)
steps = st.one_of(
    st.builds(ProxyDown, times, st.sampled_from(PROVIDERS)),
    st.builds(ProxyUp, times, st.sampled_from(PROVIDERS)),
    st.builds(ToxicRemove, times, st.sampled_from(PROVIDERS), st.just("slow")),
    st.builds(lambda at, ms: ToxicAdd(at, "qwen", "slow", "latency", attributes={"latency": ms}),
              times, st.integers(0, 10_000)),
    st.builds(lambda at, mode: admin_step(at, {"conservation_mode": mode}, PROVIDERS), times, st.booleans()),
)


@given(st.lists(steps, max_size=30), times, times)
def test_due_is_the_sorted_prefix_at_or_before_now_and_grows_with_time(
    unsorted: list[Step], now: float, later: float
) -> None:
    ordered = sorted(unsorted, key=lambda s: s.at_s)
    ready = due(ordered, now)
    assert ready == tuple(ordered[:len(ready)])
    assert all(s.at_s <= now for s in ready)
    assert all(s.at_s > now for s in ordered[len(ready):])
    if later >= now:
        assert len(due(ordered, later)) >= len(ready)


@given(st.lists(steps, max_size=10), times)
def test_every_step_renders_the_record_fields_the_run_files_have(some: list[Step], t: float) -> None:
    for step in some:
        record = step_record(step, t)
        assert record.kind == ("action" if isinstance(step, AdminChange) else "toxic")
        assert set(record.detail) == {"step", "target", "body", "label", "planned_s"}
        assert record.detail["planned_s"] == step.at_s and record.t_s == round(t, 6)
        assert step_record(step, t, "boom").detail["error"] == "boom"


def test_a_toxic_body_round_trips_in_toxiproxys_field_order() -> None:
    body: dict[str, Any] = {"name": "llmdrill0_latency_downstream", "type": "latency", "stream": "downstream",
                            "toxicity": 1.0, "attributes": {"latency": 3000, "jitter": 500}}
    step = ToxicAdd.from_body(12.0, "claude", body, "slow claude")
    assert step.body() == body and list(step.body()) == list(body)
    assert step.target == "claude" and step.kind == "toxic_add"
    body["attributes"]["latency"] = 1   # the step keeps its own copy
    assert step.attributes["latency"] == 3000
    assert pickle.loads(pickle.dumps(step)) == step   # a twin setup crosses process boundaries


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ProxyDown(-1.0, "qwen"), "at_s"),
        (lambda: ProxyUp(float("nan"), "qwen"), "at_s"),
        (lambda: ProxyDown(1.0, ""), "proxy"),
        (lambda: ToxicRemove(1.0, "qwen", ""), "name"),
        (lambda: ToxicAdd(1.0, "qwen", "t", "latency", stream="sideways"), "stream"),  # type: ignore[arg-type]
        (lambda: ToxicAdd(1.0, "qwen", "t", "latency", toxicity=1.5), "toxicity"),
        (lambda: ToxicAdd(1.0, "qwen", "t", "latency", attributes={"latency": 3000.0}), "attributes.latency"),  # type: ignore[dict-item]
        (lambda: ToxicAdd(1.0, "qwen", "t", "latency", attributes={"latency": -1}), "attributes.latency"),
        (lambda: ToxicAdd.from_body(1.0, "qwen", {"name": "t"}), "type"),
        (lambda: admin_step(1.0, {"provider": "mistral"}, PROVIDERS), "admin.provider"),
        (lambda: admin_step(1.0, {"conservation_mode": 1}, PROVIDERS), "admin.conservation_mode"),
        (lambda: admin_step(1.0, {"turbo": True}, PROVIDERS), "admin.turbo"),
        (lambda: AdminChange(1.0, {"provider": "qwen"}), "change"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_step_is_refused_when_built_naming_its_field(build: object, field: str) -> None:
    with pytest.raises(StepError, match=rf"^{field}: "):
        build()  # type: ignore[operator]


def test_an_admin_step_holds_the_gateways_parsed_change_and_its_body() -> None:
    step = admin_step(5.0, {"provider": "auto", "degraded_mode": "auto", "conservation_mode": True}, PROVIDERS)
    assert step.change.provider is None and step.change.degraded is None and step.change.conservation is True
    assert step.body() == {"provider": "auto", "conservation_mode": True, "degraded_mode": "auto"}
    assert step.providers() == () and step.target == "gateway"
    pinned = admin_step(5.0, {"provider": "claude", "breakers": {"qwen": "force_open"}}, PROVIDERS)
    assert pinned.providers() == ("claude", "qwen") and pinned.change.conservation is UNSET
