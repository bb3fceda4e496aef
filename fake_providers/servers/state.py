"""One fake provider's live state: its plan, engine, epoch, statistics.

The control API replaces the plan; request handlers read the engine.  Every
time read goes through the injected clocks, ``clock`` (monotonic seconds: plan
time, latencies, token pacing) and ``wall`` (epoch seconds: rate-limit reset
times, ``checked_at``), and every wait through ``sleep``, so a test can drive a
fake on a clock of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.latency import LatencyDist
from fake_providers.faults.plan import FaultPlan
from fake_providers.servers.asgi import Receive
from fake_providers.servers.stats import ProviderStats

__all__ = ["MAX_HANG_S", "FakeState"]

#: How long a hung request is held at most, when the client never gives up.
MAX_HANG_S = 600.0
_NOISE_S = 1e-6


class FakeState:
    def __init__(
        self,
        provider: str,
        seed: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        baseline: LatencyDist | None = None,
        max_hang_s: float = MAX_HANG_S,
    ) -> None:
        self.provider = provider
        self.seed = seed
        self.clock = clock
        self.wall = wall
        self.sleep = sleep
        self.max_hang_s = max_hang_s
        self._baseline = baseline
        self.plan = FaultPlan()
        self.epoch = clock()
        self.engine = FaultEngine(self.plan, seed, baseline=baseline)
        self.stats = ProviderStats(provider)
        self.stopping = asyncio.Event()
        self._seq = 0
        self._watchers: list[Callable[[], None]] = []

    def plan_time(self) -> float:
        return self.clock() - self.epoch

    async def sleep_until(self, due: float) -> None:
        """Wait until ``clock()`` reads ``due`` (at once when it already has), never returning before it.

        The event loop's timers round a wait to whole milliseconds and count it from the loop's cached
        time, so one sleep may end up to a millisecond early: the rest is slept again.  A remainder
        under a microsecond is float noise of ``due - clock()``, not a wait.
        """
        wait = due - self.clock()
        while wait > _NOISE_S:
            await self.sleep(wait)
            wait = due - self.clock()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the plan changes (the listener re-reads its refuse windows)."""
        self._watchers.append(callback)

    def apply(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.epoch = self.clock() if plan.epoch is None else plan.epoch
        self.engine = FaultEngine(plan, self.seed, baseline=self._baseline)
        for callback in self._watchers:
            callback()

    def reset(self) -> None:
        self.stats = ProviderStats(self.provider)
        self.apply(FaultPlan())

    async def hold(self, receive: Receive) -> None:
        """Hold a request until its client disconnects, the fake stops, or ``max_hang_s`` passes."""

        async def client_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waiters = {asyncio.ensure_future(client_gone()), asyncio.ensure_future(self.stopping.wait())}
        try:
            await asyncio.wait(waiters, timeout=self.max_hang_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
