"""Queueing theory the twin is checked against: Erlang C for M/M/c, and M/M/1's response time.

Pure maths, no SimPy.  ``a = λ/μ`` is the offered load in erlangs; the queue is
stable when ``a < c``.
"""

from __future__ import annotations

import math

__all__ = ["erlang_c", "mm1_response_quantile", "mmc_mean_wait"]


def _check(lam: float, mu: float, c: int) -> float:
    if not (lam > 0 and mu > 0 and math.isfinite(lam) and math.isfinite(mu)):
        raise ValueError(f"rates must be finite and > 0, got lambda={lam!r}, mu={mu!r}")
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise ValueError(f"c: must be an integer >= 1, got {c!r}")
    a = lam / mu
    if a >= c:
        raise ValueError(f"unstable: offered load {a:g} erlangs >= {c} servers")
    return a


def erlang_c(lam: float, mu: float, c: int) -> float:
    """The probability that an arrival waits (Erlang's C formula), via the stable Erlang B recursion."""
    a = _check(lam, mu, c)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho + rho * b)


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue: ``C(c, a) / (cμ − λ)``."""
    return erlang_c(lam, mu, c) / (c * mu - lam)


def mm1_response_quantile(lam: float, mu: float, q: float) -> float:
    """M/M/1 (FCFS) response time is exponential with rate ``μ − λ``: its ``q`` quantile."""
    _check(lam, mu, 1)
    if not 0 < q < 1:
        raise ValueError(f"q: must be in (0, 1), got {q!r}")
    return -math.log(1.0 - q) / (mu - lam)
