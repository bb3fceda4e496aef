"""``llmdrill gameday``: start one (the stack under steady load until stopped), ``stop`` it, ``watch`` it.

Starting checks every flag before anything starts, then runs the game day in this process
(``run.run_gameday``) until Ctrl-C, ``llmdrill gameday stop`` or ``--max-duration``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from scenarios.library import find
from scenarios.loader import load_scenario, load_scenario_text
from scenarios.problems import ScenarioError
from units.durations import ValueSyntaxError, parse_duration, parse_rate

from .acts import ActError, check_who
from .control_client import EXIT_HARNESS, EXIT_OK, err, locate, send
from .state import StateError, read_state
from .terminal import render_text, watch

__all__ = ["gameday"]


def _start(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill gameday",
                                description="Bring up fakes, proxy, gateway and steady load until stopped "
                                            "(Ctrl-C, or 'llmdrill gameday stop DIR'). Subcommands: stop, watch.")
    p.add_argument("scenario", nargs="?", help="a library scenario or file whose faults are scripted in")
    p.add_argument("--rate", help="steady load, e.g. 2/s (default: the scenario's first stage, else 2/s)")
    p.add_argument("--max-duration", default="2h", help="stop by itself after this long (default 2h)")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="compress time as 'llmdrill run' does (durations × this; default 1: real time)")
    p.add_argument("--out", help="run directory (default runs/gameday-<time>)")
    p.add_argument("--as", dest="who", default=None, help="who is starting it (default: your user name)")
    p.add_argument("--view", action="store_true", help="show the terminal dashboard here too")
    p.add_argument("--workers", type=int, default=0,
                   help="Locust worker processes, as for 'llmdrill run' (0: one standalone process)")
    args = p.parse_args(argv)
    # lazy: the live stack (~1 s) for starting a game day, not for inject, clear, note or watch
    from drill.live.plan import PlanError

    from .run import MAX_DURATION_S, MAX_RUN_RATE, GamedaySetup, build_scenario, run_gameday

    try:
        who = check_who(args.who if args.who is not None else getpass.getuser())
        max_s = parse_duration(args.max_duration, "--max-duration")
        rate = parse_rate(args.rate, "--rate") if args.rate is not None else None
    except (ValueSyntaxError, ActError) as exc:
        return err(f"llmdrill gameday: {exc}")
    if not 0 < max_s <= MAX_DURATION_S:
        return err(f"llmdrill gameday: --max-duration must be in (0, 24h], got {max_s:g} s")
    if not 0 <= args.workers <= 16:
        return err(f"llmdrill gameday: --workers must be 0..16, got {args.workers}")
    if not 0 < args.time_scale <= 10:
        return err(f"llmdrill gameday: --time-scale must be in (0, 10], got {args.time_scale}")
    try:
        base = _base_scenario(args.scenario)
        scenario = build_scenario(base, rate, max_s, args.time_scale)
    except ScenarioError as exc:
        return err("\n".join(str(x) for x in exc.problems))
    run_rate = scenario.load.stages[0].rate / args.time_scale
    if not 0 < run_rate <= MAX_RUN_RATE:
        return err(f"llmdrill gameday: --rate {scenario.load.stages[0].rate:g}/s at time scale {args.time_scale:g} "
                    f"is {run_rate:g} req/s of real load; keep it within (0, {MAX_RUN_RATE:g}]")
    out = Path(args.out) if args.out else Path("runs") / f"gameday-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        return run_gameday(GamedaySetup(scenario, scenario.load.stages[0].rate, max_s, out, who, args.view,
                                        args.workers))
    except PlanError as exc:
        return err(str(exc))


def _base_scenario(name: str | None) -> Any:
    if name is None:
        return load_scenario_text(
            "name: gameday\ndescription: A game day - steady load, faults injected by hand.\nseed: 1\n"
            "duration: 2h\nload: {stages: [{until: 2h, rate: 2/s}], prompts: appointments-es}\n", "gameday")
    return load_scenario(find(name))


def _stop(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill gameday stop", description="Stop a running game day; wait for "
                                "its write-up.")
    p.add_argument("run_dir", nargs="?")
    p.add_argument("--as", dest="who", default=None)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for it to finish (default 120)")
    args = p.parse_args(argv)
    ns = argparse.Namespace(gameday=args.run_dir, who=args.who)
    try:
        state = locate(args.run_dir)
    except StateError as exc:
        return err(f"llmdrill gameday stop: {exc}")
    code, _ = send(ns, "stop", {})
    if code != EXIT_OK:
        return code
    print(f"stopping the game day in {state.run_dir} …", flush=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            now = read_state(Path(state.run_dir), running=False)
        except StateError:
            now = state
        if now.status == "stopped":
            print(f"stopped; write-up in {state.run_dir}/postmortem.md")
            return EXIT_OK
        time.sleep(0.5)
    print(f"llmdrill gameday stop: still not stopped after {args.timeout:g} s", file=sys.stderr)
    return EXIT_HARNESS


def _watch(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill gameday watch", description="The dashboard in this terminal.")
    p.add_argument("run_dir", nargs="?")
    p.add_argument("--once", action="store_true", help="print the panels once and exit")
    args = p.parse_args(argv)
    try:
        state = locate(args.run_dir)
    except StateError as exc:
        return err(f"llmdrill gameday watch: {exc}")
    if args.once:
        try:
            print(render_text(httpx.get(state.control + "/api/panels", timeout=10, trust_env=False).json()))
        except (httpx.HTTPError, ValueError) as exc:
            print(f"llmdrill gameday watch: {exc}", file=sys.stderr)
            return EXIT_HARNESS
        return EXIT_OK
    done = threading.Event()
    try:
        watch(state.control, done, sys.stdout)
    except KeyboardInterrupt:
        done.set()
    return EXIT_OK


def gameday(argv: list[str]) -> int:
    if argv and argv[0] == "stop":
        return _stop(argv[1:])
    if argv and argv[0] == "watch":
        return _watch(argv[1:])
    return _start(argv)
