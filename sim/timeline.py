"""The scenario's timeline in virtual time: toxics, proxy down/up and admin actions at their instants.

The steps are ``sim.steps`` values, the very ones the live planner builds and
the live driver applies on the wall clock; here they are applied at
``env.now`` to the twin's links and to the gateway stack, admin changes
through the admin API's own ``apply_admin_change``.  Each applied step, or its
failure, becomes the ``EventRecord`` the live driver writes (``step_record``).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, assert_never

import simpy

from gateway.core.stack import Stack
from gateway.service.admin_apply import apply_admin_change
from reports.records import EventRecord

from .network import Link, NetworkError, Toxic
from .provider import SimProvider
from .steps import AdminChange, ProxyDown, ProxyUp, Step, StepError, ToxicAdd, ToxicRemove, due, step_record

__all__ = ["Timeline"]


class Timeline:
    def __init__(self, env: simpy.Environment, steps: Sequence[Step], providers: Mapping[str, SimProvider],
                 stack: Stack, record: Callable[[EventRecord], None]) -> None:
        self._env = env
        self._steps = sorted(steps, key=lambda s: s.at_s)
        self._providers = providers
        self._stack = stack
        self._record = record

    def run(self) -> Generator[simpy.Event, Any, None]:
        env = self._env
        pending: Sequence[Step] = self._steps
        while pending:
            ready = due(pending, env.now)
            if not ready:
                yield env.timeout(pending[0].at_s - env.now)
                continue
            for step in ready:
                error: str | None = None
                try:
                    self.apply(step)
                except (StepError, NetworkError) as exc:   # recorded; the run goes on, as live
                    error = f"{step.kind} {step.target}: {exc}"
                self._record(step_record(step, env.now, error))
            pending = pending[len(ready):]

    def apply(self, step: Step) -> None:
        match step:
            case AdminChange():
                missing = [p for p in step.providers() if p not in self._stack.breakers]
                if missing:   # the live gateway refuses these with a 400: the twin records the same refusal
                    raise StepError(f"provider {missing[0]!r} is not in the twin's stack "
                                    f"(it has {', '.join(sorted(self._stack.breakers))})")
                self._stack.observer.on_state(apply_admin_change(self._stack, step.change, self._env.now))
            case ToxicAdd():
                self._link(step.proxy).add(Toxic.from_body(step.body()))
            case ToxicRemove():
                self._link(step.proxy).remove(step.name)
            case ProxyDown():
                self._link(step.proxy).enabled = False
            case ProxyUp():
                self._link(step.proxy).enabled = True
            case _:
                assert_never(step)

    def _link(self, proxy: str) -> Link:
        provider = self._providers.get(proxy)
        if provider is None:
            raise StepError(f"target: no provider {proxy!r} in the twin "
                            f"(it has {', '.join(sorted(self._providers))})")
        return provider.link
