"""The CPU of the processes under a run, per role, and what else the machine is doing while it runs.

Part of ``bench_live_rate.py``: CPU time (utime + stime from ``/proc/PID/stat``) of every process
below a root, sampled in a thread and read back as a share of one core per role (gateway, fakes,
proxy, locust, runner); the system's listen-queue overflows and the other llmdrill stacks running
give the figures their context.  Linux only (``/proc``).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROLES", "Sampler", "cpu_shares", "other_stacks", "role_of", "tcp_counters"]

ROLES = ("gateway", "fakes", "proxy", "locust", "runner")
_TICK = os.sysconf("SC_CLK_TCK")
_SAMPLE_EVERY_S = 0.25


def role_of(argv: Sequence[str]) -> str | None:
    """Which part of the stack a process is, from its command line (None: not one of ours)."""
    if any(a == "locust" or a.endswith("/locust") for a in argv):
        return "locust"
    if argv and Path(argv[0]).name == "toxiproxy-server":
        return "proxy"
    if "drill.cli" in argv:
        i = argv.index("drill.cli")
        sub = argv[i + 1] if i + 1 < len(argv) else ""
        return {"gateway": "gateway", "fake-providers": "fakes", "proxy": "proxy", "run": "runner"}.get(sub)
    return None


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, CPU seconds) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    rest = raw[raw.rfind(b")") + 2 :].split()
    # after the name: state ppid ... utime (14th field of the line) stime (15th)
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK


def _argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


@dataclass(slots=True)
class Sampler:
    """Samples the CPU time of every descendant of ``root`` until stopped, in its own thread."""

    root: int
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(_SAMPLE_EVERY_S):
            self.sample_once()

    def sample_once(self) -> None:
        now = time.monotonic()
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                found = _stat(int(entry))
                if found is not None:
                    stats[int(entry)] = found
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        todo, seen = [self.root], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in stats:
                continue
            seen.add(pid)
            todo.extend(children.get(pid, ()))
            if pid not in self.roles:
                role = "runner" if pid == self.root else role_of(_argv(pid))
                if role is None:
                    continue
                self.roles[pid] = role
            self.samples.setdefault(pid, []).append((now, stats[pid][1]))


def _cpu_at(samples: Sequence[tuple[float, float]], t: float) -> float:
    """Cumulative CPU seconds at ``t``: interpolated; 0 before a process was first seen, last after."""
    if not samples or t < samples[0][0]:
        return 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            return c0 if t1 == t0 else c0 + (c1 - c0) * (t - t0) / (t1 - t0)
    return samples[-1][1]


def cpu_shares(
    samples: Mapping[int, Sequence[tuple[float, float]]], roles: Mapping[int, str], t0: float, t1: float
) -> dict[str, float]:
    """CPU used between ``t0`` and ``t1`` per role, as a share of one core."""
    if t1 <= t0:
        raise ValueError(f"window: end {t1} must be after start {t0}")
    out = dict.fromkeys(ROLES, 0.0)
    for pid, series in samples.items():
        role = roles.get(pid)
        if role is not None:
            out[role] = out.get(role, 0.0) + (_cpu_at(series, t1) - _cpu_at(series, t0)) / (t1 - t0)
    return out


# -- what else is going on ---------------------------------------------------------------------


def tcp_counters() -> dict[str, int]:
    """System-wide TcpExt counters that show a listen queue overflowing (SYNs dropped, then resent)."""
    wanted = ("ListenOverflows", "TCPSynRetrans")
    try:
        lines = Path("/proc/net/netstat").read_text(encoding="ascii").splitlines()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            for name, value in zip(names.split()[1:], values.split()[1:], strict=False):
                if name in wanted:
                    out[name] = int(value)
    return out


def other_stacks() -> int:
    """Gateways of other llmdrill runs on this machine (other engineers' tests skew every figure)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and role_of(_argv(int(entry))) == "gateway":
            count += 1
    return count
