"""The act commands of a running game day: ``inject``, ``clear``, ``action`` and ``note``; and the table of
every game day command (``gameday`` itself is ``gameday_cmd``, ``diagnose`` is ``diagnose_cmd``).

Each act is checked here for a clear message, sent to the game day (``control_client``), and checked
again there before anything changes.  Who typed it is ``--as NAME``, by default the user name.
"""

from __future__ import annotations

import argparse
import json
import sys

from .acts import ActError, action_body, flags_to_entry, parse_snippet
from .control_client import act, add_common, err
from .gameday_cmd import gameday

__all__ = ["COMMANDS"]


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
    add_common(p)
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
        return err(f"llmdrill {exc}")
    return act(args, "inject", {"entry": entry},
                lambda d: f"injected {d['id']} (clear it with: llmdrill clear {d['id']})")


def clear(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill clear", description="Remove a fault (by id) or every fault.")
    p.add_argument("target", nargs="?", default="all", help="a fault id (f1, s0, ...) or 'all' (default)")
    add_common(p)
    args = p.parse_args(argv)
    return act(args, "clear", {"target": args.target}, lambda d: f"cleared {', '.join(d['cleared'])}")


def action(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill action",
                                description="Act on the gateway as the runbook's mitigations do.")
    add_common(p)
    p.add_argument("--provider", help="pin a provider (failover: claude, openai, qwen) or 'auto'")
    p.add_argument("--conservation", help="conservation mode: on, off or auto")
    p.add_argument("--degraded", help="degraded pipeline: on, off or auto")
    p.add_argument("--breaker", action="append", metavar="PROVIDER=ACTION",
                   help="force_open, disable or reset a provider's breaker (repeatable)")
    args = p.parse_args(argv)
    raw = {"provider": args.provider, "conservation": args.conservation, "degraded": args.degraded,
           "breakers": args.breaker}
    try:
        action_body(**raw)   # checked here for a clear message; the game day checks it again
    except ActError as exc:
        return err(f"llmdrill {exc}")
    return act(args, "action", {"action": raw}, lambda d: f"done: {json.dumps(d.get('admin'))}")


def note(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="llmdrill note", description="Add a note to the game day's timeline.")
    p.add_argument("text", nargs="+")
    add_common(p)
    args = p.parse_args(argv)
    return act(args, "note", {"text": " ".join(args.text)}, lambda _: "noted")


def diagnose(argv: list[str]) -> int:
    from .diagnose_cmd import main  # lazy: the probes (~0.2 s) for diagnose alone, not the game day commands

    return main(argv)


COMMANDS = {
    "gameday": (gameday, ""),
    "inject": (inject, ""),
    "clear": (clear, ""),
    "action": (action, ""),
    "note": (note, ""),
    "diagnose": (diagnose, ""),
}
