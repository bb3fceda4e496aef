"""Arrivals in virtual time: a callback per arrival on one rescheduled event, in place of a process.

The twin's source of requests was a SimPy process looping over the schedule and
yielding a ``Timeout`` before each arrival.  Per request that built a
``Timeout`` and went through ``Process._resume`` and a generator hop.  Here
one event is scheduled again for each wait, with the same priorities, at the
same moments, so the same steps run at the same times in the same order: the
start is urgent at once (a process's initialisation), each wait is normal after
its delay (a timeout), and an arrival that is already due starts at once (the
process did not yield for it).  The process's end event, which nobody waited
for, is left out, as ``sim.interpreter.start`` leaves out its requests'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappush

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["every_arrival"]


def every_arrival(env: simpy.Environment, upcoming: Iterator[tuple[int, float]],
                  begin: Callable[[int, float], None]) -> None:
    """Call ``begin(id, t_s)`` at each ``(id, t_s)`` of ``upcoming`` (in time order), from ``env``'s run."""
    # Environment.schedule written out (one call less per arrival): the same (time, priority, id) entry
    queue, ids = env._queue, env._eid
    tick = simpy.Event(env)
    tick._ok = True   # a timeout's: processed without a failure to raise
    due: tuple[int, float] | None = None   # the arrival the tick waits for, once it waits

    def fire(_: simpy.Event) -> None:
        nonlocal due
        if due is not None:
            begin(*due)
        for rid, t_s in upcoming:
            wait = t_s - env._now
            if wait > 0:
                due = (rid, t_s)
                # Environment.step takes the list and leaves None: the one list is handed back, not a new one
                tick.callbacks = callbacks
                heappush(queue, (env._now + wait, NORMAL, next(ids), tick))
                return
            begin(rid, t_s)

    callbacks: list[Callable[[simpy.Event], None]] = [fire]
    tick.callbacks = callbacks
    env.schedule(tick, URGENT)
