"""The toxics' pure parts: the toxicity draw, delays, slicing, limits and attribute validation."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.proxy.errors import ApiError
from fake_providers.proxy.toxic_spec import parse_new_toxic, parse_toxic_update
from fake_providers.proxy.toxics import (
    create_toxic,
    draw_applies,
    draw_delay_ms,
    slice_bounds,
    take_within_limit,
    toxic_types,
    transmit_seconds,
)

FAST = settings(max_examples=200, deadline=None)


@FAST
@given(seed=st.integers(0, 2**32))
def test_toxicity_zero_never_applies_and_one_always_does(seed: int) -> None:
    rng = random.Random(seed)
    assert not any(draw_applies(0.0, rng) for _ in range(50))
    assert all(draw_applies(1.0, rng) for _ in range(50))


@settings(max_examples=30, deadline=None)
@given(toxicity=st.floats(0.0, 1.0), seed=st.integers(0, 2**32))
def test_toxicity_draw_frequency_matches_toxicity(toxicity: float, seed: int) -> None:
    rng = random.Random(seed)
    n = 4000
    hits = sum(draw_applies(toxicity, rng) for _ in range(n))
    # 5 standard deviations of a binomial, plus one draw of slack at the edges.
    sigma = (n * toxicity * (1 - toxicity)) ** 0.5
    assert abs(hits - n * toxicity) <= 5 * sigma + 1


@settings(max_examples=30, deadline=None)
@given(toxicity=st.floats(0.0, 1.0), seed=st.integers(0, 2**32))
def test_toxicity_draw_is_deterministic_per_seed(toxicity: float, seed: int) -> None:
    a, b = random.Random(seed), random.Random(seed)
    assert [draw_applies(toxicity, a) for _ in range(20)] == [draw_applies(toxicity, b) for _ in range(20)]


@FAST
@given(latency=st.integers(0, 10_000), jitter=st.integers(0, 5_000), seed=st.integers(0, 2**32))
def test_latency_delay_is_within_jitter(latency: int, jitter: int, seed: int) -> None:
    delay = draw_delay_ms(latency, jitter, random.Random(seed))
    if jitter == 0:
        assert delay == latency
    else:
        assert latency - jitter <= delay < latency + jitter


def test_latency_jitter_spreads_both_ways() -> None:
    rng = random.Random(3)
    delays = [draw_delay_ms(100, 20, rng) for _ in range(2000)]
    assert min(delays) < 85 and max(delays) > 115
    assert abs(sum(delays) / len(delays) - 100) < 2


@FAST
@given(size=st.integers(1, 200_000), average=st.integers(1, 5_000), data=st.data())
def test_slices_cover_the_chunk_in_order_without_empties(
    size: int, average: int, data: st.DataObject
) -> None:
    variation = data.draw(st.integers(0, average - 1))
    bounds = slice_bounds(size, average, variation, random.Random(data.draw(st.integers(0, 2**32))))
    assert bounds[0][0] == 0 and bounds[-1][1] == size
    assert all(a < b for a, b in bounds)
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    assert all(b - a <= average + variation for a, b in bounds)


def test_slicer_makes_many_pieces() -> None:
    bounds = slice_bounds(10_000, 100, 20, random.Random(0))
    assert len(bounds) >= 10_000 // 120


@FAST
@given(size=st.integers(0, 10_000), sent=st.integers(0, 10_000), limit=st.integers(0, 10_000))
def test_limit_never_exceeds_the_limit(size: int, sent: int, limit: int) -> None:
    allowed = take_within_limit(size, sent, limit)
    assert 0 <= allowed <= size
    assert sent + allowed <= max(limit, sent)
    if sent + size <= limit:
        assert allowed == size


def test_bandwidth_transmit_time() -> None:
    assert transmit_seconds(100_000, 100) == pytest.approx(1.0)
    assert transmit_seconds(5_000, 1_000) == pytest.approx(0.005)


def test_registry_has_toxiproxys_names() -> None:
    assert set(toxic_types()) >= {"latency", "bandwidth", "slow_close", "timeout", "reset_peer",
                                  "slicer", "limit_data", "noop"}


@pytest.mark.parametrize(
    ("type_name", "attributes", "needle"),
    [
        ("latency", {"latency": -1}, "attributes.latency"),
        ("latency", {"latency": "100"}, "attributes.latency"),
        ("latency", {"latency": True}, "attributes.latency"),
        ("latency", {"latency": 1.5}, "attributes.latency"),
        ("latency", {"latncy": 100}, "'latncy'"),
        ("bandwidth", [1], "attributes"),
        ("slicer", {"average_size": 0}, "average_size"),
        ("slicer", {"average_size": 10, "size_variation": 10}, "size_variation"),
        ("nosuch", {}, "invalid toxic type"),
    ],
)
def test_bad_attributes_name_what_is_wrong(type_name: str, attributes: object, needle: str) -> None:
    with pytest.raises(ApiError) as err:
        create_toxic(type_name, attributes)
    assert err.value.status == 400
    assert needle in err.value.message


def test_new_toxic_defaults() -> None:
    spec = parse_new_toxic({"type": "latency", "attributes": {"latency": 5}})
    assert (spec.name, spec.stream, spec.toxicity) == ("latency_downstream", "downstream", 1.0)
    assert spec.to_json()["attributes"] == {"latency": 5, "jitter": 0}
    up = parse_new_toxic({"type": "timeout", "stream": "UPSTREAM"})
    assert up.name == "timeout_upstream" and up.stream == "upstream"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"type": "latency", "stream": "sideways"}, "stream was invalid"),
        ({"type": "latency", "toxicity": 1.5}, "toxicity"),
        ({"type": "latency", "toxicity": "1"}, "toxicity"),
        ({"attributes": {}}, "type"),
        ([], "JSON object"),
    ],
)
def test_bad_toxic_bodies(body: object, needle: str) -> None:
    with pytest.raises(ApiError) as err:
        parse_new_toxic(body)
    assert err.value.status == 400 and needle in err.value.message


def test_update_merges_attributes_and_keeps_identity() -> None:
    spec = parse_new_toxic({"type": "latency", "name": "l", "attributes": {"latency": 5, "jitter": 2}})
    updated = parse_toxic_update(spec, {"attributes": {"latency": 9}, "toxicity": 0.5})
    assert updated.toxic.attributes() == {"latency": 9, "jitter": 2}
    identity = (updated.name, updated.type, updated.stream, updated.toxicity)
    assert identity == ("l", "latency", "downstream", 0.5)
