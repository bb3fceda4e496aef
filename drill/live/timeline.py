"""Apply a plan's steps (toxics, proxy down/up, admin actions) at their times, on the wall clock.

Runs in a thread and sleeps on an Event until the next step is due (no
busy-wait), so ``stop()`` ends it at once.  Which steps are due is
``sim.steps.due``, the twin's own rule; each applied step, or its failure,
becomes the same ``EventRecord`` the twin writes (``step_record``), written as
it happens.  ``LiveApplier`` is what a step does to the real proxy and gateway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import assert_never

import httpx

from fake_providers.proxy.client import ToxiproxyClient
from reports.records import EventRecord
from sim.steps import AdminChange, ProxyDown, ProxyUp, Step, ToxicAdd, ToxicRemove, due, step_record

__all__ = ["Apply", "LiveApplier", "TimelineDriver"]

Apply = Callable[[Step], None]


class TimelineDriver:
    def __init__(self, steps: Sequence[Step], epoch: float, apply: Apply,
                 record: Callable[[EventRecord], None]) -> None:
        self._steps = sorted(steps, key=lambda s: s.at_s)   # stable: the plan's order at one instant
        self._epoch = epoch
        self._apply = apply
        self._record = record
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="timeline", daemon=True)
        self.applied: list[tuple[Step, str | None]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _now(self) -> float:
        return time.monotonic() - self._epoch

    def _run(self) -> None:
        pending: Sequence[Step] = self._steps
        while pending:
            ready = due(pending, self._now())
            if not ready:
                if self._stop.wait(pending[0].at_s - self._now()):
                    return
                continue
            for step in ready:
                error: str | None = None
                try:
                    self._apply(step)
                except Exception as exc:  # a failed step is recorded, and the run goes on
                    error = f"{type(exc).__name__}: {exc}"
                self.applied.append((step, error))
                self._record(step_record(step, self._now(), error))
            pending = pending[len(ready):]


class LiveApplier:
    """Steps applied to the run's Toxiproxy and to the gateway's admin API (None: a ``--target`` run)."""

    def __init__(self, toxiproxy: ToxiproxyClient, gateway_url: str | None) -> None:
        self._toxiproxy = toxiproxy
        self._gateway_url = gateway_url

    def __call__(self, step: Step) -> None:
        proxy = self._toxiproxy
        match step:
            case ToxicAdd():
                proxy.add_toxic(step.proxy, step.type, name=step.name, stream=step.stream,
                                toxicity=step.toxicity, attributes=dict(step.attributes))
            case ToxicRemove():
                proxy.remove_toxic(step.proxy, step.name)
            case ProxyDown():
                proxy.disable(step.proxy)
            case ProxyUp():
                proxy.enable(step.proxy)
            case AdminChange():
                if self._gateway_url is None:
                    raise RuntimeError("admin action without a gateway of ours (a --target run skips them)")
                r = httpx.put(f"{self._gateway_url}/admin/config", json=step.body(), timeout=5)
                if r.status_code != 200:
                    raise RuntimeError(f"admin action refused ({r.status_code}): {r.text[:200]}")
            case _:
                assert_never(step)
