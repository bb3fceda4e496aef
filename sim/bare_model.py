"""The plainest SimPy M/M/c: the yardstick the twin's speed is measured against.

Poisson arrivals, ``Resource(c)``, exponential service, no bookkeeping.  This
machine's speed moves ~2.5x between days (52k-135k of these requests per second
here), so the twin's speed travels only as a ratio to this model run in the same
process: ``bench/bench_sim.py`` prints that ratio, and ``llmdrill plan`` scales
its up-front wall-time estimate by a short run of it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Generator
from typing import Any

import simpy

__all__ = ["bare_mmc", "bare_rate"]


def bare_mmc(lam: float, mu: float, c: int, n: int, seed: int = 1) -> tuple[float, float]:
    """Requests per wall second and per CPU second of ``n`` requests through the plainest SimPy M/M/c."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=c)
    rng = random.Random(seed)

    def customer() -> Generator[simpy.Event, Any, None]:
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(mu))

    def source() -> Generator[simpy.Event, Any, None]:
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer())

    started, cpu = time.perf_counter(), time.process_time()
    env.process(source())
    env.run()
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def bare_rate(n: int = 20_000) -> float:
    """This machine's speed now: the bare model's requests per wall second at the benchmark's operating point
    (c = 50, rho = 0.8); 20,000 requests take 0.15-0.4 s here."""
    return bare_mmc(40.0, 1.0, 50, n)[0]
