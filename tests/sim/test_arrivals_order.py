"""``sim.arrivals.every_arrival`` runs the very steps of the process it replaced, in the same order."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.arrivals import every_arrival

# arrival times with ties, zero gaps and a first arrival at 0; other processes tick on the same grid
gaps = st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5]), max_size=30)
tickers = st.lists(st.tuples(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.sampled_from([0.25, 0.5, 1.0])),
                   max_size=3)


def _times(deltas: list[float]) -> list[tuple[int, float]]:
    out, t = [], 0.0
    for i, d in enumerate(deltas):
        t += d
        out.append((i, t))
    return out


def _run(pairs: list[tuple[int, float]], ticks: list[tuple[float, float]], as_process: bool) -> list[Any]:
    env = simpy.Environment()
    seen: list[Any] = []

    def begin(rid: int, t_s: float) -> None:
        seen.append(("arrive", rid, env.now))
        # what a request does at once: schedule its own wait, seen when it fires
        def done(_: simpy.Event) -> None:
            seen.append(("done", rid, env.now))
        env.timeout(0.25).callbacks.append(done)

    def source(upcoming: Iterator[tuple[int, float]]) -> Generator[simpy.Event, Any, None]:
        # the twin's arrive before sim.arrivals: the reference
        for rid, t_s in upcoming:
            wait = t_s - env.now
            if wait > 0:
                yield env.timeout(wait)
            begin(rid, t_s)

    def ticker(name: int, first: float, period: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(first)
        while True:
            seen.append(("tick", name, env.now))
            yield env.timeout(period)

    if as_process:
        env.process(source(iter(pairs)))
    else:
        every_arrival(env, iter(pairs), begin)
    for n, (first, period) in enumerate(ticks):
        env.process(ticker(n, first, period))
    env.run(until=12.0)
    return seen


@settings(max_examples=200, deadline=None)
@given(gaps, tickers)
def test_the_same_steps_in_the_same_order_as_the_process(deltas: list[float],
                                                          ticks: list[tuple[float, float]]) -> None:
    pairs = _times(deltas)
    assert _run(pairs, ticks, as_process=False) == _run(pairs, ticks, as_process=True)
