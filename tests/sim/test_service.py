"""The provider service model: exact FCFS with c slots and a bounded queue, against a brute-force reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults.decisions import HttpError
from fake_providers.faults.service import ServiceQueue, ServiceSpec


def reference(jobs: list[tuple[float, float]], c: int, queue: int | None) -> list[float | None]:
    """Start times by brute force: track each slot's busy-until and each admitted job's start."""
    slots = [0.0] * c
    starts: list[float | None] = []
    admitted: list[float] = []   # start times of admitted jobs
    for arrival, service in jobs:
        earliest = min(range(c), key=lambda i: slots[i])
        start = max(arrival, slots[earliest])
        waiting = sum(1 for s in admitted if s > arrival)
        if start > arrival and queue is not None and waiting >= queue:
            starts.append(None)
            continue
        slots[earliest] = start + service
        admitted.append(start)
        starts.append(start)
    return starts


@settings(max_examples=150, deadline=None)
@given(
    c=st.integers(1, 4),
    queue=st.one_of(st.none(), st.integers(0, 5)),
    gaps=st.lists(st.tuples(st.floats(0, 3), st.floats(0, 5)), min_size=1, max_size=40),
)
def test_start_times_match_the_reference_fcfs_queue(
    c: int, queue: int | None, gaps: list[tuple[float, float]]
) -> None:
    t, jobs = 0.0, []
    for gap, service in gaps:
        t += gap
        jobs.append((t, service))
    model = ServiceQueue(ServiceSpec(concurrency=c, queue=queue))
    got = [model.admit(a, s) for a, s in jobs]
    want = reference(jobs, c, queue)
    for g, w in zip(got, want, strict=True):
        if w is None:
            assert isinstance(g, HttpError) and g.status == 503
        else:
            assert g == pytest.approx(w)


def test_past_the_queue_the_provider_answers_its_own_overflow_status() -> None:
    model = ServiceQueue(ServiceSpec(concurrency=1, queue=1, overflow_status=429))
    assert model.admit(0.0, 10.0) == 0.0          # in service
    assert model.admit(0.0, 10.0) == 10.0         # queued
    over = model.admit(0.0, 10.0)
    assert isinstance(over, HttpError) and over.status == 429 and over.code == "rate_limit_exceeded"
    assert model.waiting(5.0) == 1
    assert model.admit(10.0, 1.0) == 20.0         # the queued one started at 10: room again


def test_service_time_is_first_token_plus_tokens_at_the_rate() -> None:
    spec = ServiceSpec(concurrency=2, tokens_per_s=20.0)
    assert spec.service_s(0.5, 41) == pytest.approx(0.5 + 40 / 20)
    assert ServiceSpec(concurrency=1, ttft_s=0.1).service_s(9.0, 100) == 0.1


def test_arrivals_out_of_order_are_refused() -> None:
    model = ServiceQueue(ServiceSpec(concurrency=1))
    model.admit(5.0, 1.0)
    with pytest.raises(ValueError, match="time order"):
        model.admit(4.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"concurrency": 0}, "concurrency"), ({"concurrency": 1, "queue": -1}, "queue"),
     ({"concurrency": 1, "tokens_per_s": 0.0}, "tokens_per_s"), ({"concurrency": 1, "overflow_status": 500},
                                                                  "overflow_status"),
     ({"concurrency": 1, "ttft_s": float("nan")}, "ttft_s")],
)
def test_bad_specs_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ServiceSpec(**kwargs)  # type: ignore[arg-type]


def test_the_exponential_latency_has_its_mean_and_round_trips() -> None:
    import random

    from fake_providers.faults.latency import LatencyDist

    dist = LatencyDist.parse({"dist": "exponential", "mean": "2s"}, "latency")
    rng = random.Random(4)
    draws = [dist.sample(rng) for _ in range(40_000)]
    assert sum(draws) / len(draws) == pytest.approx(2.0, rel=0.03)
    assert sum(d > 2.0 for d in draws) / len(draws) == pytest.approx(0.3679, abs=0.01)   # P(X > mean) = 1/e
    assert LatencyDist.parse(dist.to_json(), "latency") == dist
    assert dist.scaled(0.5).params == (1.0,)
