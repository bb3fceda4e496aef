"""Queueing theory as the twin's proof of fidelity.

The twin configured as M/M/c (Poisson arrivals from ``workload.schedule``,
exponential service drawn by the fault engine, ``c`` slots of the service
model, no faults) must match Erlang C, and as M/M/1 through the whole gateway
core its response-time p95 must match the exponential law with rate μ − λ.

Sizes: the suite runs 100 000 calls (M/M/c, provider level) and about 8 000
requests (M/M/1, full stack) and asserts that the analytic value lies inside
the 95 % batch-means interval, which at these sizes is a few percent wide; each
test also checks that the interval would reject a model 10 % off, so it can
fail.  The ≥ 1 000 000-request runs with the 2 % criterion are
``bench/bench_sim.py --proof`` (see its docstring for the last measured numbers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from sim.batch_means import batch_interval, quantile
from sim.mmc import mmc_stack_setup, run_mmc
from sim.queueing import erlang_c, mm1_response_quantile, mmc_mean_wait
from sim.run import run_sim


def mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def waited(xs: Sequence[float]) -> float:
    return sum(1 for x in xs if x > 0) / len(xs)


def test_erlang_c_matches_known_values() -> None:
    # M/M/1: P(wait) = ρ, Wq = ρ / (μ − λ); a textbook M/M/2 value: a = 1, C = 1/3.
    assert erlang_c(0.5, 1.0, 1) == pytest.approx(0.5)
    assert mmc_mean_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang_c(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert mm1_response_quantile(0.5, 1.0, 0.95) == pytest.approx(2 * 2.995732, rel=1e-6)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(3.0, 1.0, 3)


def test_mmc_through_the_twins_provider_matches_erlang_c() -> None:
    lam, mu, c = 2.1, 1.0, 3
    sample = run_mmc(lam, mu, c, 100_000, seed=11)
    assert sample.failures == 0
    wait = batch_interval(sample.waits, mean, batches=20, warmup=2_000)
    p_wait = batch_interval(sample.waits, waited, batches=20, warmup=2_000)
    assert wait.contains(mmc_mean_wait(lam, mu, c)), (wait, mmc_mean_wait(lam, mu, c))
    assert p_wait.contains(erlang_c(lam, mu, c)), (p_wait, erlang_c(lam, mu, c))
    assert p_wait.relative_error(erlang_c(lam, mu, c)) < 0.02
    # the intervals are narrow enough to tell a 10 % heavier load apart
    assert not wait.contains(mmc_mean_wait(lam * 1.1, mu, c))
    assert not p_wait.contains(erlang_c(lam * 1.1, mu, c))


def test_mm1_response_p95_through_the_whole_stack(tmp_path: Path) -> None:
    lam, mu = 0.5, 1.0
    result = run_sim(mmc_stack_setup(lam, mu, 1, duration_s=16_000.0, seed=3), tmp_path)
    records = sorted((json.loads(line) for line in (tmp_path / "requests.jsonl").open(encoding="utf-8")),
                     key=lambda r: r["id"])
    assert len(records) == result.requests > 7_000
    assert all(r["outcome"] == "ok" and r["attempts"] == 1 and r["provider"] == "qwen" for r in records)
    latencies = [r["latency_s"] for r in records]
    p95 = batch_interval(latencies, lambda xs: quantile(xs, 0.95), batches=20, warmup=200)
    want = mm1_response_quantile(lam, mu, 0.95)
    assert p95.contains(want), (p95, want)
    assert not p95.contains(mm1_response_quantile(lam, mu * 0.9, 0.95))


def test_mmc_mean_response_through_the_whole_stack(tmp_path: Path) -> None:
    # The records see response times only: their mean must be Erlang C's mean wait plus 1/mu.
    lam, mu, c = 2.1, 1.0, 3
    run_sim(mmc_stack_setup(lam, mu, c, duration_s=4_000.0, seed=4), tmp_path)
    records = sorted((json.loads(line) for line in (tmp_path / "requests.jsonl").open(encoding="utf-8")),
                     key=lambda r: r["id"])
    assert len(records) > 7_500 and all(r["outcome"] == "ok" for r in records)
    response = batch_interval([r["latency_s"] for r in records], mean, batches=20, warmup=200)
    want = mmc_mean_wait(lam, mu, c) + 1 / mu
    assert response.contains(want), (response, want)
    assert not response.contains(mmc_mean_wait(lam * 1.1, mu, c) + 1 / mu)
