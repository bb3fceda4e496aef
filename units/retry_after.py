"""Retry-After as delta-seconds (RFC 9110): whole seconds, rounded up, at least 1.

One rounding for everything that tells a client when to come back: the gateway's
429/503 answers and its load shedding (and, meant to, the fakes' 429s).  A wait
a hair over a whole second because of float error (2.0000000001) stays 2.
"""

from __future__ import annotations

import math

__all__ = ["retry_after_seconds"]


def retry_after_seconds(seconds: float) -> int:
    """The Retry-After value for a wait of ``seconds``."""
    return max(1, math.ceil(seconds - 1e-9))
