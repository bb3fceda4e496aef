"""Game days: the stack up under steady load, people injecting faults and acting on it, the runbook's
dashboard live, and an incident review at the end.  Also ``llmdrill diagnose``, the on-call's first command.

This module stays import-light: ``llmdrill``'s command table lists these commands without loading them.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["HELP", "commands"]

HELP = {
    "gameday": "a game day: the stack under steady load until stopped (also: gameday stop, gameday watch)",
    "inject": "add a fault or toxic to the running game day",
    "clear": "remove a fault (ID) or all faults from the running game day",
    "action": "switch provider, conservation/degraded mode, force a breaker, in the running game day",
    "note": "add a note to the running game day's timeline",
    "diagnose": "the runbook's four diagnosis steps; the exit code follows severity",
}


def _lazy(name: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from .cli import COMMANDS  # lazy: `llmdrill --help` lists these commands without loading them

        return COMMANDS[name][0](argv)

    return run


def commands() -> dict[str, tuple[Callable[[list[str]], int], str]]:
    """``llmdrill``'s table entries for the game day commands."""
    return {name: (_lazy(name), text) for name, text in HELP.items()}
