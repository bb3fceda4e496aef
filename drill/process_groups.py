"""Teardown by process group: is a child's group still alive, and stopping groups for good.

Each child of a run leads its own session, so its process group holds
everything it spawned: signalling the group stops the whole tree, and a group
is gone only when none of its members runs any more (zombies hold no port and
run no code).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence

__all__ = ["POLL_S", "group_alive", "terminate_groups"]

#: how often to look again while waiting on a child
POLL_S = 0.02
#: how long to wait for a SIGKILLed group to disappear before giving up on it
_KILL_WAIT_S = 5.0


def _proc_members(pgid: int) -> list[int] | None:
    """Live (non-zombie) members of a process group, or None where /proc is unavailable."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    members = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields resume after the last ')'
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 2 and int(rest[2]) == pgid and rest[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    members = _proc_members(pgid)
    # a group of zombies only (orphans nobody reaped yet) holds no port and runs no code
    return True if members is None else bool(members)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def terminate_groups(popens: Sequence[subprocess.Popen[bytes]], grace_s: float = 5.0) -> None:
    """SIGTERM each child's group, wait up to ``grace_s`` for all to be gone, then SIGKILL the rest."""
    groups = {p.pid: p for p in popens}
    for pgid in reversed(list(groups)):
        _signal_group(pgid, signal.SIGTERM)
    for sig, wait_s in ((None, grace_s), (signal.SIGKILL, _KILL_WAIT_S)):
        if sig is not None:
            for pgid in groups:
                if group_alive(pgid):
                    _signal_group(pgid, sig)
        deadline = time.monotonic() + max(0.0, wait_s)
        while True:
            for p in groups.values():
                p.poll()  # reap the leader so it does not linger as a zombie
            if not any(group_alive(pgid) for pgid in groups):
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_S)
