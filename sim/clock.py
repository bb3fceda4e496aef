"""The twin's clock: ``env.now`` of a SimPy environment, behind the gateway's ``Clock``.

Every time read of the gateway core goes through this object, so the same
policy code runs on virtual time.  Time 0 is the start of the run.
"""

from __future__ import annotations

import simpy

__all__ = ["SimClock"]


class SimClock:
    __slots__ = ("_env",)

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env

    def now(self) -> float:
        return float(self._env.now)
