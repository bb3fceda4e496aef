"""The schedule's C-iterator path against the generators it replaced: the same ids, the same floats."""

from __future__ import annotations

import random
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from workload.schedule import Arrival, Stage, arrival_pairs, arrivals

# zero-rate stages and stages too short for one arrival included: the inverse must skip them alike
stage_lists = st.lists(
    st.tuples(st.floats(0.01, 20.0), st.one_of(st.just(0.0), st.floats(0.0, 80.0))), min_size=1, max_size=5
).map(lambda raw: tuple(Stage(sum(d for d, _ in raw[: i + 1]), r) for i, (_, r) in enumerate(raw)))


def _reference(stages: tuple[Stage, ...], seed: int, process: str, worker_index: int,
               worker_count: int) -> Iterator[tuple[int, float]]:
    # the generators of workload/schedule.py before the fused path (01c58c2), kept as the oracle
    def units() -> Iterator[float]:
        if process == "uniform":
            j = worker_index
            while True:
                yield j + 0.5
                j += worker_count
        rng = random.Random(f"llmdrill-arrivals:{seed}:{worker_index}/{worker_count}")
        s = 0.0
        while True:
            s += rng.expovariate(1.0) * worker_count
            yield s

    def inverse() -> Iterator[float]:
        i, start, cum = 0, 0.0, 0.0
        for u in units():
            while i < len(stages):
                stage = stages[i]
                cum_end = cum + stage.rate_per_s * (stage.until_s - start)
                if stage.rate_per_s > 0 and u <= cum_end:
                    yield min(start + (u - cum) / stage.rate_per_s, stage.until_s)
                    break
                i, start, cum = i + 1, stage.until_s, cum_end
            else:
                return

    for k, t in enumerate(inverse()):
        yield worker_index + k * worker_count, t


@settings(max_examples=150, deadline=None)
@given(stage_lists, st.integers(0, 2**40), st.sampled_from(["poisson", "uniform"]),
       st.integers(1, 5).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_pairs_and_arrivals_are_the_reference_bit_for_bit(stages: tuple[Stage, ...], seed: int, process: str,
                                                         worker: tuple[int, int]) -> None:
    index, count = worker
    expected = list(_reference(stages, seed, process, index, count))
    pairs = list(arrival_pairs(stages, seed, process, index, count))
    assert [(i, t.hex()) for i, t in pairs] == [(i, t.hex()) for i, t in expected]
    assert list(arrivals(stages, seed, process, index, count)) == [Arrival(i, t) for i, t in expected]
