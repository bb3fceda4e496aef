"""The game day's commands: ``gameday`` (start, ``stop``, ``watch``), ``inject``, ``clear``, ``action``,
``note`` and ``diagnose``.

The act commands find their game day by ``--gameday DIR``, else ``$LLMDRILL_GAMEDAY``, else the one
game day running under ``./runs``; they send the act to that game day's control API, which checks it
and applies it (a refused act changes nothing and exits 2).  Who typed it is ``--as NAME``, by default
the user name.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from .acts import ActError, check_who, flags_to_entry, parse_snippet
from .state import GamedayState, StateError, find_running, read_state

__all__ = ["COMMANDS"]

EXIT_OK, EXIT_BAD_INPUT, EXIT_HARNESS = 0, 2, 3


def _err(text: str) -> int:
    print(text, file=sys.stderr)
    return EXIT_BAD_INPUT


def _locate(explicit: str | None) -> GamedayState:
    where = explicit or os.environ.get("LLMDRILL_GAMEDAY")
    if where:
        return read_state(Path(where))
    running = find_running()
    if not running:
        raise StateError("no game day is running under ./runs; give --gameday DIR (or start one: llmdrill gameday)")
    if len(running) > 1:
        raise StateError("several game days are running; choose one with --gameday DIR: "
                         + ", ".join(s.run_dir for s in running))
    return running[0]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gameday", "-g", metavar="DIR", help="the game day's run directory")
    p.add_argument("--as", dest="who", default=None, help="who is acting (default: your user name)")


def _send(args: argparse.Namespace, act: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        who = check_who(args.who if args.who is not None else getpass.getuser())
        state = _locate(args.gameday)
    except (ActError, StateError) as exc:
        return _err(f"llmdrill {act}: {exc}"), {}
    try:
        r = httpx.post(f"{state.control}/api/{act}", json={**body, "who": who}, timeout=30, trust_env=False)
        doc: dict[str, Any] = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"llmdrill {act}: the game day at {state.run_dir} did not answer: {exc}", file=sys.stderr)
        return EXIT_HARNESS, {}
    if r.status_code != 200:
        error = str(doc.get("error", r.text))
        print(f"llmdrill {error}" if error.startswith(f"{act}:") else f"llmdrill {act}: {error}", file=sys.stderr)
        return (EXIT_BAD_INPUT if r.status_code == 400 else EXIT_HARNESS), doc
    return EXIT_OK, doc


def inject(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="llmdrill inject",
        description="Add a fault or toxic to the running game day: a scenario faults:/network: entry as YAML or "
                    "JSON (argument, or '-' for stdin), or the flag form. Times count from now.",
        epilog="examples: llmdrill inject --provider qwen --latency lognormal:8s,12s --for 5m\n"
               "          llmdrill inject '{provider: qwen, error: {status: 429, retry_after: 2s}, for: 3m}'\n"
               "          llmdrill inject --provider claude --toxic latency --latency 3s,500ms --for 1m",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("snippet", nargs="?", help="one entry in a scenario's faults:/network: grammar")
    _common(p)
    p.add_argument("--provider", help="qwen, claude, openai or '*'")
    p.add_argument("--latency", help="3s | uniform:1s,2s | normal:2s,300ms | lognormal:8s,12s | empirical:1s,9s; "
                                     "with --toxic latency: LATENCY[,JITTER]")
    p.add_argument("--error", help="STATUS[:CODE], e.g. 503, 529, 429:insufficient_quota")
    p.add_argument("--connection", choices=("refuse", "reset", "hang"))
    p.add_argument("--bad-json", choices=("truncated", "prose", "wrong_schema", "empty", "wrong_content_type"))
    p.add_argument("--quality", help="confidence=0.6,wrong_entity_rate=0.3,missing_entity_rate=0.1")
    p.add_argument("--quota", help="rpm=10,tpm=6000")
    p.add_argument("--toxic", help="a network toxic: latency, bandwidth, slow_close, timeout, reset_peer, ...")
    p.add_argument("--down", action="store_true", help="take the network path to the provider down")
    p.add_argument("--probability", type=float)
    p.add_argument("--after", help="start this long from now")
    p.add_argument("--for", dest="for_", help="end this long after it starts (default: until cleared)")
    p.add_argument("--label")
    args = p.parse_args(argv)
    flags = {k: getattr(args, k) for k in ("provider", "latency", "error", "connection", "bad_json", "quality",
                                           "quota", "toxic", "probability", "after", "for_", "label")}
    try:
        if args.snippet is not None:
            if any(v is not None for v in flags.values()) or args.down:
                raise ActError("inject: give a snippet or flags, not both")
            entry = parse_snippet(sys.stdin.read() if args.snippet == "-" else args.snippet)
        else:
            entry = flags_to_entry(down=args.down, **flags)
    except ActError as exc:
        return _err(f"llmdrill {exc}")
    code, doc = _send(args, "inject", {"entry": entry})
    if code == EXIT_OK:
        print(f"injected {doc['id']} (clear it with: llmdrill clear {doc['id']})")
    return code


def clear(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill clear", description="Remove a fault (by id) or every fault.")
    p.add_argument("target", nargs="?", default="all", help="a fault id (f1, s0, ...) or 'all' (default)")
    _common(p)
    args = p.parse_args(argv)
    code, doc = _send(args, "clear", {"target": args.target})
    if code == EXIT_OK:
        print(f"cleared {', '.join(doc['cleared'])}")
    return code


def action(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill action",
                                description="Act on the gateway as the runbook's mitigations do.")
    _common(p)
    p.add_argument("--provider", help="pin a provider (failover: claude, openai, qwen) or 'auto'")
    p.add_argument("--conservation", help="conservation mode: on, off or auto")
    p.add_argument("--degraded", help="degraded pipeline: on, off or auto")
    p.add_argument("--breaker", action="append", metavar="PROVIDER=ACTION",
                   help="force_open, disable or reset a provider's breaker (repeatable)")
    args = p.parse_args(argv)
    raw = {"provider": args.provider, "conservation": args.conservation, "degraded": args.degraded,
           "breakers": args.breaker}
    try:
        from .acts import action_body

        action_body(**raw)   # checked here for a clear message; the game day checks it again
    except ActError as exc:
        return _err(f"llmdrill {exc}")
    code, doc = _send(args, "action", {"action": raw})
    if code == EXIT_OK:
        print(f"done: {json.dumps(doc.get('admin'))}")
    return code


def note(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill note", description="Add a note to the game day's timeline.")
    p.add_argument("text", nargs="+")
    _common(p)
    args = p.parse_args(argv)
    code, _ = _send(args, "note", {"text": " ".join(args.text)})
    if code == EXIT_OK:
        print("noted")
    return code


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
    from dataclasses import replace as _replace

    from drill.live.plan import PlanError
    from scenarios.problems import ScenarioError
    from units.durations import ValueSyntaxError, parse_duration, parse_rate

    from .run import MAX_DURATION_S, MAX_RUN_RATE, GamedaySetup, build_scenario, run_gameday

    try:
        who = check_who(args.who if args.who is not None else getpass.getuser())
        max_s = parse_duration(args.max_duration, "--max-duration")
        rate = parse_rate(args.rate, "--rate") if args.rate is not None else None
    except (ValueSyntaxError, ActError) as exc:
        return _err(f"llmdrill gameday: {exc}")
    if not 0 < max_s <= MAX_DURATION_S:
        return _err(f"llmdrill gameday: --max-duration must be in (0, 24h], got {max_s:g} s")
    if not 0 <= args.workers <= 16:
        return _err(f"llmdrill gameday: --workers must be 0..16, got {args.workers}")
    if not 0 < args.time_scale <= 10:
        return _err(f"llmdrill gameday: --time-scale must be in (0, 10], got {args.time_scale}")
    try:
        base = _base_scenario(args.scenario)
        scenario = build_scenario(base, rate, max_s, args.time_scale)
    except ScenarioError as exc:
        return _err("\n".join(str(x) for x in exc.problems))
    run_rate = scenario.load.stages[0].rate / args.time_scale
    if not 0 < run_rate <= MAX_RUN_RATE:
        return _err(f"llmdrill gameday: --rate {scenario.load.stages[0].rate:g}/s at time scale {args.time_scale:g} "
                    f"is {run_rate:g} req/s of real load; keep it within (0, {MAX_RUN_RATE:g}]")
    out = Path(args.out) if args.out else Path("runs") / f"gameday-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        return run_gameday(GamedaySetup(_replace(scenario), scenario.load.stages[0].rate, max_s, out, who, args.view,
                                        args.workers))
    except PlanError as exc:
        return _err(str(exc))


def _base_scenario(name: str | None) -> Any:
    from scenarios.loader import load_scenario, load_scenario_text

    if name is None:
        return load_scenario_text(
            "name: gameday\ndescription: A game day - steady load, faults injected by hand.\nseed: 1\n"
            "duration: 2h\nload: {stages: [{until: 2h, rate: 2/s}], prompts: appointments-es}\n", "gameday")
    from scenarios.library import find

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
        state = _locate(args.run_dir)
    except StateError as exc:
        return _err(f"llmdrill gameday stop: {exc}")
    code, _ = _send(ns, "stop", {})
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
        state = _locate(args.run_dir)
    except StateError as exc:
        return _err(f"llmdrill gameday watch: {exc}")
    from .terminal import render_text, watch

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


def diagnose(argv: list[str]) -> int:
    from .diagnose_cmd import main

    return main(argv)


COMMANDS = {
    "gameday": (gameday, ""),
    "inject": (inject, ""),
    "clear": (clear, ""),
    "action": (action, ""),
    "note": (note, ""),
    "diagnose": (diagnose, ""),
}
