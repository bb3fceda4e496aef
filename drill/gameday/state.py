"""A game day's state file, ``gameday.json`` in its run directory: where everything listens, who owns it.

The running ``llmdrill gameday`` process is the only writer (atomically: write, then rename); the act
commands in other terminals only read it, to find the game day's control URL.  Several game days on
one machine never share state: each has its own directory and its own ephemeral ports.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["STATE_FILE", "GamedayState", "StateError", "find_running", "read_state", "write_state"]

STATE_FILE = "gameday.json"


class StateError(ValueError):
    """No usable game day at that place; the message says where and why."""


@dataclass(frozen=True, slots=True)
class GamedayState:
    run_dir: str
    pid: int
    epoch_monotonic: float          # CLOCK_MONOTONIC second of the game day's t=0
    started_utc: str                # ISO 8601
    time_scale: float
    scenario: str
    gateway: str
    control: str                    # the game day's own API (acts, dashboard data)
    dashboard: str                  # the web page
    proxy: str
    fakes: dict[str, str] = field(default_factory=dict)
    through_proxy: dict[str, str] = field(default_factory=dict)
    status: str = "running"         # "starting" | "running" | "stopping" | "stopped"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_state(run_dir: Path, state: GamedayState) -> None:
    tmp = run_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(run_dir / STATE_FILE)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(run_dir: Path, *, running: bool = True) -> GamedayState:
    """The state of the game day in ``run_dir``; with ``running``, it must be up (its process alive)."""
    path = run_dir / STATE_FILE
    if not run_dir.is_dir():
        raise StateError(f"{run_dir}: no such directory (give the game day's run directory)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(f"{run_dir}: not a game day directory (no {STATE_FILE})") from None
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: unreadable: {exc}") from None
    try:
        state = GamedayState(**raw)
    except TypeError as exc:
        raise StateError(f"{path}: not a game day state file: {exc}") from None
    if running and (state.status not in ("running", "starting") or not _alive(state.pid)):
        raise StateError(f"{run_dir}: the game day is not running (status {state.status}); "
                         f"its write-up is in {run_dir}")
    return state


def find_running(root: Path = Path("runs")) -> list[GamedayState]:
    """Every running game day under ``root``, newest first (for commands given no directory)."""
    found = []
    for path in root.glob(f"*/{STATE_FILE}"):
        try:
            found.append(read_state(path.parent))
        except StateError:
            continue
    return sorted(found, key=lambda s: s.started_utc, reverse=True)
