"""What the scenario commands share before they run: the scenario by name, cost limits, loopback only.

``llmdrill run``, ``validate``, ``fidelity`` and ``plan check`` load a scenario
the same way (a library name or a file, with ``--time-scale``/``--seed``),
refuse one that costs more than the limit flags allow, and keep the shell's
proxies away from the runner's own loopback calls.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from drill.budget import DEFAULT_LIMITS, OVERRIDE_FLAG, Limits, estimate, over_limits
from drill.child_process import PROXY_VARIABLES
from scenarios.library import find
from scenarios.loader import load_scenario
from scenarios.schema import Scenario
from units.durations import ValueSyntaxError, parse_duration, parse_size

if TYPE_CHECKING:   # the live planner costs ~0.4 s: `llmdrill list` and `run --help` must not pay it
    from drill.live.plan import LivePlan

__all__ = ["add_limit_flags", "check_cost", "load_named", "loopback_only"]


def load_named(name: str, time_scale: float | None = None, seed: int | None = None) -> Scenario:
    """The scenario ``name`` (a library name or a file), with the command line's overrides."""
    scenario = load_scenario(find(name))
    changes: dict[str, Any] = {}
    if time_scale is not None:
        changes["time_scale"] = time_scale
    if seed is not None:
        changes["seed"] = seed
    return replace(scenario, **changes) if changes else scenario


def add_limit_flags(p: argparse.ArgumentParser) -> None:
    """The flags ``check_cost`` reads."""
    d = DEFAULT_LIMITS
    g = p.add_argument_group("cost limits", "a run estimated beyond one of these is refused before it starts")
    g.add_argument("--max-requests", type=float, default=d.requests, help=f"default {d.requests:,.0f}")
    g.add_argument("--max-wall", default=d.wall_s, help=f"wall-clock duration, default {d.wall_s / 3600:g}h")
    g.add_argument("--max-memory", default=d.memory_b, help=f"default {d.memory_b / 1024**3:g}GiB")
    g.add_argument("--max-disk", default=d.disk_b, help=f"default {d.disk_b / 1024**3:g}GiB")
    g.add_argument(OVERRIDE_FLAG, dest="no_cost_limits", action="store_true", help="run whatever it costs")


def check_cost(prog: str, name: str, plan: LivePlan, args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The cost summary of ``plan`` and why it is refused (empty: it fits, or limits are off)."""
    try:
        limits = Limits(requests=float(args.max_requests), wall_s=parse_duration(args.max_wall, "--max-wall"),
                        memory_b=parse_size(args.max_memory, "--max-memory"),
                        disk_b=parse_size(args.max_disk, "--max-disk"))
    except ValueSyntaxError as exc:
        return None, [f"{prog}: {exc}"]
    cost = estimate(plan.run)
    if args.no_cost_limits:
        return cost.summary(), []
    over = over_limits(cost, limits)
    if over:
        return cost.summary(), [f"{name}: refused before starting: {line}" for line in over] + [
            f"{name}: shorten the scenario or lower its rate, raise the limit, or pass {OVERRIDE_FLAG}"]
    return cost.summary(), []


def loopback_only() -> None:
    """The runner's own calls (fault plans, toxics, admin) go to loopback: no shell proxy may take them."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
