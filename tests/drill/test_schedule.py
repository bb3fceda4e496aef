"""Arrival schedules: statistics, determinism, boundaries, and the worker split."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workload.schedule import (
    ScheduleError,
    Stage,
    arrival_times,
    arrivals,
    expected_count,
)

stage_lists = st.lists(
    st.tuples(st.floats(0.5, 20.0), st.floats(0.0, 80.0)), min_size=1, max_size=4
).map(lambda raw: tuple(Stage(sum(d for d, _ in raw[: i + 1]), r) for i, (_, r) in enumerate(raw)))


def _count_in(times: list[float], lo: float, hi: float) -> int:
    return sum(1 for t in times if lo <= t < hi)


@settings(max_examples=40, deadline=None)
@given(stage_lists, st.integers(0, 2**32), st.sampled_from(["poisson", "uniform"]))
def test_times_are_monotone_within_the_schedule_and_deterministic(stages, seed, process):
    times = list(arrival_times(stages, seed, process))
    assert times == sorted(times)
    assert all(0 <= t <= stages[-1].until_s for t in times)
    assert times == list(arrival_times(stages, seed, process))


@settings(max_examples=40, deadline=None)
@given(stage_lists, st.integers(0, 2**32))
def test_poisson_count_within_bounds(stages, seed):
    mean = expected_count(stages)
    n = len(list(arrival_times(stages, seed)))
    # 6 standard deviations (+3 for tiny means): a false alarm is ~1e-9 per example
    assert abs(n - mean) <= 6 * math.sqrt(mean) + 3


@settings(max_examples=40, deadline=None)
@given(stage_lists)
def test_uniform_count_per_stage_is_exact_to_one(stages):
    times = list(arrival_times(stages, 0, "uniform"))
    start = 0.0
    for stage in stages:
        want = stage.rate_per_s * (stage.until_s - start)
        got = _count_in(times, start, stage.until_s)
        assert abs(got - want) <= 1.0 + 1e-9
        if stage.rate_per_s == 0:
            assert got == 0
        start = stage.until_s


def test_rate_changes_at_the_stage_boundary():
    stages = (Stage(100.0, 10.0), Stage(200.0, 50.0), Stage(300.0, 0.0), Stage(400.0, 20.0))
    times = list(arrival_times(stages, 7))
    for lo, hi, rate in [(0, 100, 10), (100, 200, 50), (200, 300, 0), (300, 400, 20)]:
        n = _count_in(times, lo, hi)
        expected = rate * (hi - lo)
        assert abs(n - expected) <= 5 * math.sqrt(expected) + 1, (lo, hi, n)


def test_poisson_gaps_look_exponential():
    times = list(arrival_times((Stage(2000.0, 5.0),), 3))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean = sum(gaps) / len(gaps)
    var = sum((g - mean) ** 2 for g in gaps) / len(gaps)
    assert mean == pytest.approx(0.2, rel=0.05)
    # exponential: coefficient of variation 1 (a uniform schedule would give ~0)
    assert math.sqrt(var) / mean == pytest.approx(1.0, rel=0.1)


def test_different_seeds_differ():
    stages = (Stage(10.0, 20.0),)
    assert list(arrival_times(stages, 1)) != list(arrival_times(stages, 2))


@settings(max_examples=30, deadline=None)
@given(stage_lists, st.integers(0, 1000), st.integers(1, 4))
def test_uniform_workers_union_is_the_global_schedule(stages, seed, n):
    whole = list(arrivals(stages, seed, "uniform"))
    parts = [a for w in range(n) for a in arrivals(stages, seed, "uniform", w, n)]
    assert sorted(parts, key=lambda a: a.id) == whole


@settings(max_examples=30, deadline=None)
@given(stage_lists, st.integers(0, 1000), st.integers(1, 4))
def test_worker_ids_are_unique_and_counts_add_up(stages, seed, n):
    parts = [list(arrivals(stages, seed, "poisson", w, n)) for w in range(n)]
    ids = [a.id for p in parts for a in p]
    assert len(ids) == len(set(ids))
    assert all(a.id % n == w for w, p in enumerate(parts) for a in p)
    mean = expected_count(stages)
    assert abs(len(ids) - mean) <= 6 * math.sqrt(mean) + 3 * n
    # the shares are different processes, not copies of one
    if n > 1 and len(parts[0]) > 3 and len(parts[1]) > 3:
        assert [a.t_s for a in parts[0]] != [a.t_s for a in parts[1]]


def test_worker_union_rate_matches_the_schedule():
    stages = (Stage(500.0, 40.0),)
    union = sorted(t for w in range(3) for t in arrival_times(stages, 11, "poisson", w, 3))
    assert abs(len(union) - 20000) <= 5 * math.sqrt(20000)
    gaps = [b - a for a, b in itertools.pairwise(union)]
    mean = sum(gaps) / len(gaps)
    cv = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps)) / mean
    assert cv == pytest.approx(1.0, rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stages": ()}, "at least one stage"),
        ({"stages": (Stage(5, 1), Stage(5, 2))}, "stages[1].until_s"),
        ({"process": "gamma"}, "process"),
        ({"worker_index": 2, "worker_count": 2}, "worker_index"),
        ({"worker_count": 0}, "worker_count"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_schedules_name_the_field(kwargs, message):
    args = {"stages": (Stage(5, 1),), "seed": 0, **kwargs}
    with pytest.raises(ScheduleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        arrivals(**args)


@pytest.mark.parametrize(("until", "rate"), [(0, 1), (-1, 1), (1, -1), (float("nan"), 1), (1, float("inf"))])
def test_bad_stage_values(until, rate):
    with pytest.raises(ScheduleError):
        Stage(until, rate)
