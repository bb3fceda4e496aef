"""Fault plans: durations, validation errors naming the field, scaling and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults import FaultPlan, FaultPlanError, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("3s", 3.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0), (2, 2.0), ("2.5", 2.5),
     ("1h2m3s", 3723.0), ("250us", 0.00025)],
)
def test_parse_duration_examples(text: object, seconds: float) -> None:
    assert parse_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["3x", "", "-1s", "1s1s", "s", None, True, [], "1 m", -3])
def test_parse_duration_rejects_with_the_field(bad: object) -> None:
    with pytest.raises(FaultPlanError) as info:
        parse_duration(bad, "faults[1].latency.value")
    assert info.value.field_path == "faults[1].latency.value"


@given(h=st.integers(0, 5), m=st.integers(0, 59), s=st.integers(0, 59), ms=st.integers(0, 999))
def test_parse_duration_composes_units(h: int, m: int, s: int, ms: int) -> None:
    text = f"{h}h{m}m{s}s{ms}ms"
    assert parse_duration(text, "d") == pytest.approx(h * 3600 + m * 60 + s + ms / 1000)


@pytest.mark.parametrize(
    ("plan", "field", "needle"),
    [
        ({"faults": [{"latency": "1s"}, {"latency": "1s"}, {"error": {"status": 418}}]},
         "faults[2].error.status", "418"),
        ({"faults": [{"eror": {"status": 500}}]}, "faults[0].eror", "did you mean 'error'"),
        ({"faults": [{"error": {"status": 500, "retry_aftr": "1s"}}]}, "faults[0].error.retry_aftr", "retry_after"),
        ({"faults": [{"latency": "1s", "provider": "qwenn"}]}, "faults[0].provider", "did you mean 'qwen'"),
        ({"faults": [{"latency": "1s", "at": "2m", "until": "1m"}]}, "faults[0].until", "after"),
        ({"faults": [{"latency": "1s", "probability": 1.5}]}, "faults[0].probability", "between"),
        ({"faults": [{"latency": "1s", "error": {"status": 500}}]}, "faults[0]", "exactly one effect"),
        ({"faults": [{"quota": {"rpm": 0}}]}, "faults[0].quota.rpm", "at least 1"),
        ({"faults": [{"quota": {"rpm": 5}, "probability": 0.5}]}, "faults[0].probability", "every request"),
        ({"faults": [{"bad_json": "truncate"}]}, "faults[0].bad_json", "did you mean 'truncated'"),
        ({"faults": [{"latency": {"dist": "lognormal", "p50": "2s", "p95": "1s"}}]}, "faults[0].latency.p95", "p50"),
        ({"faults": [{"stream": {"stall": {"after_tokens": 3}}}]}, "faults[0].stream.stall.duration", "required"),
        ({"faults": [{"network": {"toxic": "latency"}}]}, "faults[0].network", "proxy"),
        ({"faults": {}}, "faults", "list"),
        ({"fault": []}, "fault", "did you mean 'faults'"),
        ({"faults": [], "time_scale": 0}, "time_scale", "from 0.001 to 1000"),
        # Issue 8: numbers out of range are refused with their bounds.
        ({"faults": [{"latency": {"dist": "constant", "value": 1e300}}]}, "faults[0].latency.value", "366 days"),
        ({"faults": [{"latency": {"dist": "constant", "value": 10**400}}]}, "faults[0].latency.value", "finite"),
        ({"faults": [{"error": {"status": 429, "retry_after": 1e300}}]}, "faults[0].error.retry_after",
         "at most 366 days"),
        ({"faults": [{"at": 1e300, "latency": "1s"}]}, "faults[0].at", "366 days"),
        ({"faults": [{"quota": {"rpm": 1e300}}]}, "faults[0].quota.rpm", "at most 1000000000"),
        ({"faults": [{"capacity": {"concurrency": 10**12}}]}, "faults[0].capacity.concurrency", "at most"),
        ({"faults": [{"stream": {"tokens_per_s": 1e-300}}]}, "faults[0].stream.tokens_per_s", "0.001 to 1e+06"),
        ({"faults": [{"stream": {"tokens_per_s": 10**400}}]}, "faults[0].stream.tokens_per_s", "finite"),
        ({"faults": [], "epoch": 1e300}, "epoch", "from 0 to 1e+12"),
        ({"faults": [], "baseline": {"dist": "normal", "mean": "1s", "std": 1e300}}, "baseline.std", "366 days"),
        ({"faults": [{"error": {"status": 429, "code": "nope"}}]}, "faults[0].error.code", "rate_limit_exceeded"),
    ],
)
def test_bad_plans_name_the_field(plan: object, field: str, needle: str) -> None:
    with pytest.raises(FaultPlanError) as info:
        FaultPlan.parse(plan)
    assert info.value.field_path == field
    assert needle in str(info.value)


def test_network_entries_can_be_skipped() -> None:
    plan = FaultPlan.parse([{"network": {"toxic": "latency"}}, {"error": 500}], skip_network=True)
    assert [rule.kind for rule in plan.rules] == ["error"]


def test_scaled_multiplies_durations_not_rates() -> None:
    plan = FaultPlan.parse({
        "faults": [
            {"at": "2m", "until": "8m", "provider": "qwen", "quota": {"rpm": 100, "tpm": 60000}},
            {"at": "1m", "until": "2m", "error": {"status": 429, "retry_after": "10s"}},
            {"stream": {"ttft": "2s", "tokens_per_s": 5, "stall": {"after_tokens": 10, "duration": "5s"}}},
            {"latency": {"dist": "uniform", "min": "1s", "max": "3s"}},
        ],
        "time_scale": 0.5,
    })
    quota, error, stream, latency = (rule for rule in plan.rules)
    assert (quota.at, quota.until) == (60.0, 240.0)
    # rpm/tpm stay rates; the quota's window is a duration and scales with the plan
    assert quota.to_json()["quota"] == {"rpm": 100, "tpm": 60000, "window": 30.0}
    assert error.to_json()["error"] == {"status": 429, "code": "rate_limit_exceeded", "retry_after": 5.0}
    stall = {"after_tokens": 10, "duration": 2.5}
    assert stream.to_json()["stream"] == {"ttft": 1.0, "tokens_per_s": 5, "stall": stall}
    assert latency.to_json()["latency"] == {"dist": "uniform", "min": 0.5, "max": 1.5}
    assert plan.time_scale == 0.5
    assert plan.scaled(4).rules[0].at == 240.0


_durations = st.one_of(st.integers(0, 10_000), st.sampled_from(["500ms", "3s", "2m", "1m30s", "1h"]))
_effects = st.one_of(
    st.builds(lambda v: {"latency": v}, _durations),
    st.builds(lambda lo, extra: {"latency": {"dist": "uniform", "min": lo, "max": lo + extra}},
              st.integers(0, 100), st.integers(0, 100)),
    st.builds(lambda p50, k: {"latency": {"dist": "lognormal", "p50": p50, "p95": p50 * k}},
              st.integers(1, 10), st.integers(1, 4)),
    st.builds(lambda v: {"latency": {"dist": "empirical", "values": v}}, st.lists(_durations, min_size=1, max_size=4)),
    st.builds(lambda s, r: {"error": {"status": s, "retry_after": r}},
              st.sampled_from([429, 500, 503, 529]), _durations),
    st.builds(lambda m: {"connection": m}, st.sampled_from(["refuse", "reset", "hang"])),
    st.builds(lambda v: {"bad_json": v}, st.sampled_from(["truncated", "prose", "wrong_schema", "empty"])),
    st.builds(lambda c, w: {"quality": {"confidence": c, "wrong_entity_rate": w, "missing_entity_rate": 0.0}},
              st.floats(0, 1), st.floats(0, 1)),
    st.builds(lambda r, t: {"quota": {"rpm": r, "tpm": t}}, st.integers(1, 500), st.integers(1, 10**6)),
    st.builds(lambda c, q: {"capacity": {"concurrency": c, "queue": q}}, st.integers(1, 64), st.integers(0, 100)),
)
_rules = st.builds(
    lambda effect, at, span, provider: {**effect, "at": at, "until": None if span == 0 else at + span,
                                        "provider": provider},
    _effects, st.integers(0, 600), st.integers(0, 600), st.sampled_from(["qwen", "claude", "openai", "*"]),
)


@settings(max_examples=60, deadline=None)
@given(rules=st.lists(_rules, max_size=6), scale=st.sampled_from([1.0, 0.5, 0.25, 2.0, 0.125]))
def test_to_json_round_trips(rules: list[dict[str, object]], scale: float) -> None:
    plan = FaultPlan.parse({"faults": rules, "time_scale": scale})
    assert FaultPlan.parse(plan.to_json()) == plan
    assert len(plan.rules) == len(rules)


def test_a_compressed_quota_window_holds_the_rate_times_the_window() -> None:
    from fake_providers.faults.quota import QuotaBuckets

    buckets = QuotaBuckets(100, 60000, 6.0, per_minute=True)   # 100 rpm over a 6 s window: 10 requests
    admitted = [buckets.admit(0.01 * i, 10).admitted for i in range(15)]
    assert admitted == [True] * 10 + [False] * 5
    view = buckets.view(0.2)
    assert view.limit_requests == 100 and view.remaining_requests == 0   # headers speak per minute
    later = buckets.view(6.5)
    assert later.remaining_requests == 100
