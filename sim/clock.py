"""The twin's clock: ``env.now`` of a SimPy environment, behind the gateway's ``Clock``.

Every time read of the gateway core goes through this object, so the same
policy code runs on virtual time.  Time 0 is the start of the run.
"""

from __future__ import annotations

import simpy

__all__ = ["SimClock"]


class SimClock:
    __slots__ = ("_env",)
    #: ``env.now`` moves only while SimPy processes events, never while a flow's pure code runs between two
    #: yields: the interpreter resumes flows from event callbacks and performs a ``CacheGet`` at once
    stands_still = True

    def __init__(self, env: simpy.Environment) -> None:
        if not isinstance(getattr(env, "_now", None), int | float):  # pragma: no cover - another SimPy
            raise TypeError("SimClock: this SimPy keeps no Environment._now; read env.now instead")
        self._env = env

    def now(self) -> float:
        # A request reads the clock ~15 times: ``env.now`` is a property over ``_now`` and ``float()`` a
        # global call, together two thirds of a read.  ``+ 0.0`` is float() for the int 0 SimPy starts at.
        return self._env._now + 0.0
