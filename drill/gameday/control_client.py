"""Talking to a running game day: find it, and send it an act through its control API.

A game day is found by ``--gameday DIR``, else ``$LLMDRILL_GAMEDAY``, else the one game day running
under ``./runs``.  The game day checks each act and applies it; a refused act changes nothing and
exits 2, a game day that does not answer exits 3.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from drill.exit_codes import EXIT_BAD_INPUT, EXIT_HARNESS, EXIT_OK

from .acts import ActError, check_who
from .state import GamedayState, StateError, find_running, read_state

__all__ = ["EXIT_BAD_INPUT", "EXIT_HARNESS", "EXIT_OK", "act", "add_common", "err", "locate", "send"]



def err(text: str) -> int:
    print(text, file=sys.stderr)
    return EXIT_BAD_INPUT


def locate(explicit: str | None) -> GamedayState:
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


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gameday", "-g", metavar="DIR", help="the game day's run directory")
    p.add_argument("--as", dest="who", default=None, help="who is acting (default: your user name)")


def send(args: argparse.Namespace, act: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        who = check_who(args.who if args.who is not None else getpass.getuser())
        state = locate(args.gameday)
    except (ActError, StateError) as exc:
        return err(f"llmdrill {act}: {exc}"), {}
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


def act(args: argparse.Namespace, act: str, body: dict[str, Any], done: Callable[[dict[str, Any]], str]) -> int:
    """Send one act; on success print what ``done`` makes of the game day's answer."""
    code, doc = send(args, act, body)
    if code == EXIT_OK:
        print(done(doc))
    return code
