"""The harness watching itself: a process of the run that dies makes the run a harness failure.

A dead fake, proxy or gateway does not make the stack under test fail or pass: with the fakes
dead the gateway answers from its regex fallback, with the gateway dead nobody records its
breakers.  So the run stops as soon as one dies, writes a ``harness_failure`` event, and
``run.json`` gets a ``harness_failure`` entry naming the process, when it died (run and scenario
seconds), how, and which figures are unknown from then on; the run exits 3.  Locust's non-zero
exit (or its death) is the same kind of failure.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from drill.load.merge import MERGE_FILE
from drill.supervisor import ChildExit, Supervisor
from reports.records import EventRecord

__all__ = [
    "STACK_PROCESSES",
    "UNKNOWN_AFTER",
    "HarnessFailure",
    "StackWatch",
    "describe",
    "load_failure",
    "record_outcome",
]

#: the processes of the stack a run cannot do without
STACK_PROCESSES = ("fakes", "proxy", "gateway")

#: what the report cannot know once that process is dead, from its death on
UNKNOWN_AFTER: dict[str, tuple[str, ...]] = {
    "fakes": ("provider answers (requests that succeeded may be the gateway's regex fallback)",
              "the fakes' stats and limits", "quality against the gold answers"),
    "proxy": ("provider calls (no path to the providers)", "network faults"),
    "gateway": ("breaker and mode end states", "provider calls and gateway events", "gateway metrics",
                "request outcomes (connections refused by a dead gateway)"),
    "locust": ("request outcomes (in-flight requests are recorded as lost in flight, later ones as unsent)",),
}


def _entry(name: str, pid: int | None, returncode: int | None, at_monotonic: float, epoch: float,
           time_scale: float, detail: str) -> dict[str, Any]:
    t_s = round(at_monotonic - epoch, 3)
    kind = name.split("-", 1)[0]   # locust-master, locust-worker0 -> locust
    return {
        "process": name,
        "pid": pid,
        "exit_code": returncode,
        "signal": signal.Signals(-returncode).name if returncode is not None and returncode < 0 else None,
        "t_s": t_s,                                        # run seconds since t=0
        "scenario_t_s": round(t_s / time_scale, 3) if time_scale > 0 else None,
        "detail": detail,
        "unknown_after": list(UNKNOWN_AFTER.get(kind, ("figures this process supplied",))),
    }


def describe(entry: dict[str, Any]) -> str:
    how = (f"was killed by {entry['signal']}" if entry.get("signal")
           else f"exited with code {entry['exit_code']}" if entry.get("exit_code") is not None
           else str(entry.get("detail") or "failed"))
    when = f" at t={entry['t_s']:g} s" if isinstance(entry.get("t_s"), int | float) else ""
    if isinstance(entry.get("scenario_t_s"), int | float):
        when += f" (scenario {entry['scenario_t_s']:g} s)"
    unknown = "; ".join(entry.get("unknown_after") or ())
    return f"process {entry['process']!r} {how}{when}" + (f"; unknown from then on: {unknown}" if unknown else "")


class HarnessFailure(RuntimeError):
    """One or more processes of the harness died or failed; ``entries`` go to run.json."""

    def __init__(self, entries: Sequence[dict[str, Any]], load: Any = None) -> None:
        self.entries = list(entries)
        self.load = load
        super().__init__("; ".join(describe(e) for e in self.entries))


class StackWatch:
    """Watch the stack's processes from a thread; on the first death, record it and raise ``abort``."""

    def __init__(self, sup: Supervisor, epoch: float, time_scale: float,
                 write_event: Callable[[EventRecord], None], names: Sequence[str] = STACK_PROCESSES) -> None:
        self.abort = threading.Event()
        self.entries: list[dict[str, Any]] = []
        self._epoch, self._scale, self._write = epoch, time_scale, write_event
        self._lock = threading.Lock()
        self._stop = sup.watch(self._on_exit, names=[n for n in names if n in sup.processes])

    def _on_exit(self, dead: ChildExit) -> None:
        tail = dead.stderr_tail.strip().splitlines()[-3:]
        entry = _entry(dead.name, dead.pid, dead.returncode, dead.at_monotonic, self._epoch, self._scale,
                       " | ".join(tail))
        with self._lock:
            self.entries.append(entry)
        self._write(EventRecord(entry["t_s"], "harness_failure", entry))
        self.abort.set()

    def stop(self) -> None:
        self._stop()

    def failure(self, load: Any = None, extra: Sequence[dict[str, Any]] = ()) -> HarnessFailure | None:
        with self._lock:
            entries = [*self.entries, *extra]
        return HarnessFailure(entries, load) if entries else None


def load_failure(exit_code: int | None, worker_codes: Sequence[int | None], killed: bool, epoch: float,
                 time_scale: float, write_event: Callable[[EventRecord], None],
                 stopped_monotonic: float | None = None) -> list[dict[str, Any]]:
    """Entries for a Locust that exited non-zero, was killed, or outlived its bound (by ``stopped_monotonic``)."""
    now = time.monotonic() if stopped_monotonic is None else stopped_monotonic
    out = []
    workers_died = any(c not in (0, None) for c in worker_codes)
    named = [(f"locust-worker{i}", c) for i, c in enumerate(worker_codes)]
    if not workers_died:   # a dead worker makes the runner stop the master: that stop is no failure of its own
        named.insert(0, ("locust", exit_code))
    for name, code in named:
        if code not in (0, None) or (name == "locust" and killed):
            detail = "outlived its wall-clock bound and was stopped" if killed and name == "locust" else ""
            out.append(_entry(name, None, code, now, epoch, time_scale, detail))
    for entry in out:
        write_event(EventRecord(entry["t_s"], "harness_failure", entry))
    return out


def record_outcome(run_dir: Path, failures: Sequence[dict[str, Any]]) -> None:
    """Add the merge's counters (``merge.json``) and the harness failures to ``run.json``."""
    path = run_dir / "run.json"
    try:
        info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    try:
        info["merge"] = json.loads((run_dir / MERGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info["merge"] = {"error": f"{MERGE_FILE} missing: the load's records were not merged"}
    info["harness_failure"] = list(failures)
    path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
