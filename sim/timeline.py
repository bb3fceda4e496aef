"""The scenario's timeline in virtual time: toxics, proxy down/up and admin actions at their instants.

Steps are the live plan's (``drill.live.plan.Step`` has the same fields; the
command converts them), applied to the twin's links and to the gateway stack
through the admin API's own parse and apply.  Each applied step, or its
failure, becomes the ``EventRecord`` the live timeline driver writes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from gateway.core.stack import Stack
from gateway.service.admin import parse_admin_change
from gateway.service.admin_apply import apply_admin_change
from gateway.service.inputs import BadInput
from reports.records import EventRecord

from .network import NetworkError, Toxic
from .provider import SimProvider

__all__ = ["STEP_KINDS", "Step", "StepError", "Timeline", "due"]

STEP_KINDS = ("toxic_add", "toxic_remove", "proxy_down", "proxy_up", "admin")


class StepError(ValueError):
    """A step the twin cannot apply; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Step:
    at_s: float
    kind: str
    target: str
    body: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise StepError(f"kind: expected one of {', '.join(STEP_KINDS)}, got {self.kind!r}")
        if not self.at_s >= 0:
            raise StepError(f"at_s: must be >= 0, got {self.at_s!r}")


def due(steps: Sequence[Step], now: float) -> tuple[Step, ...]:
    """The steps whose time has come by ``now``, in order (``steps`` sorted by time)."""
    return tuple(s for s in steps if s.at_s <= now)


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
        for step in self._steps:
            if step.at_s > env.now:
                yield env.timeout(step.at_s - env.now)
            error: str | None = None
            try:
                self.apply(step)
            except BadInput as exc:   # recorded; the run goes on, as live
                error = f"admin body: {exc.field}: {exc.message}"
            except (StepError, NetworkError) as exc:
                error = f"{step.kind} {step.target}: {exc}"
            detail: dict[str, Any] = {"step": step.kind, "target": step.target, "body": dict(step.body),
                                      "label": step.label, "planned_s": step.at_s}
            if error is not None:
                detail["error"] = error
            self._record(EventRecord(round(env.now, 6), "action" if step.kind == "admin" else "toxic", detail))

    def apply(self, step: Step) -> None:
        if step.kind == "admin":
            change = parse_admin_change(dict(step.body), self._stack.breakers)
            self._stack.observer.on_state(apply_admin_change(self._stack, change, self._env.now))
            return
        provider = self._providers.get(step.target)
        if provider is None:
            raise StepError(f"target: no provider {step.target!r} in the twin "
                            f"(it has {', '.join(sorted(self._providers))})")
        link = provider.link
        if step.kind == "toxic_add":
            link.add(Toxic.from_body(step.body))
        elif step.kind == "toxic_remove":
            link.remove(str(step.body.get("name", "")))
        else:
            link.enabled = step.kind == "proxy_up"
