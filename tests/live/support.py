"""Running ``llmdrill`` as a user would, in a subprocess, and explaining what went wrong when it did.

Every run is bounded in wall time; a failed assertion carries the run's exit code, the tail of its
stdout/stderr, the failing expectations of its report and the tail of each ``logs/**/*.stderr.log``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "PROJECT_ROOT",
    "CliResult",
    "LiveRuns",
    "descendants",
    "explain",
    "library_wall_s",
    "llmdrill",
    "proc_alive",
    "read_jsonl",
    "scheduled_ids",
    "short_scenario",
    "write_scenario",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: what a run may take beyond its scenario's load: startup, Locust's lead, teardown, report, a busy machine
RUN_OVERHEAD_S = 75.0


@dataclass(frozen=True, slots=True)
class CliResult:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    elapsed_s: float
    run_dir: Path | None = None

    def report(self) -> dict[str, Any]:
        assert self.run_dir is not None, "this command had no run directory"
        path = self.run_dir / "report.json"
        assert path.is_file(), f"{path} is missing\n{explain(self)}"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def llmdrill(args: Sequence[str], *, timeout_s: float, run_dir: Path | None = None,
             env: dict[str, str] | None = None) -> CliResult:
    """``python -m drill.cli ARGS`` from the project root; a hung command is killed and reported.

    ``env`` adds to (or overrides) the test's own environment, as an operator's shell would."""
    argv = (sys.executable, "-m", "drill.cli", *args)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    env.pop("TOXIPROXY_URL", None)   # these runs start their own proxy, never someone else's
    start = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode("utf-8", "replace")
        err = (exc.stderr or b"").decode("utf-8", "replace")
        hung = CliResult(argv, -1, out, err, time.monotonic() - start, run_dir)
        raise AssertionError(f"{' '.join(args)} did not finish within {timeout_s:g} s\n{explain(hung)}") from None
    return CliResult(argv, done.returncode, done.stdout.decode("utf-8", "replace"),
                     done.stderr.decode("utf-8", "replace"), time.monotonic() - start, run_dir)


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def explain(result: CliResult, lines: int = 15) -> str:
    """Everything a reader of a failed test needs: exit code, output, failing expectations, log tails."""
    parts = [f"$ {' '.join(result.argv[1:])}", f"exit code {result.code} after {result.elapsed_s:.1f} s",
             f"--- stdout (tail) ---\n{_tail(result.stdout, lines)}",
             f"--- stderr (tail) ---\n{_tail(result.stderr, lines)}"]
    run_dir = result.run_dir
    if run_dir is not None and run_dir.is_dir():
        report = run_dir / "report.json"
        if report.is_file():
            try:
                data = json.loads(report.read_text(encoding="utf-8"))
                failing = [f"{e.get('name')} (observed: {e.get('observed')})"
                           for e in data.get("expectations", []) if not e.get("passed")]
                parts.append("--- failing expectations ---\n" + ("\n".join(failing) or "none"))
                if data.get("data_problems"):
                    parts.append("--- data problems ---\n" + "\n".join(map(str, data["data_problems"])))
            except ValueError as exc:
                parts.append(f"--- report.json is not JSON: {exc} ---")
        error = run_dir / "report-error.txt"
        if error.is_file():
            parts.append(f"--- report-error.txt ---\n{error.read_text(encoding='utf-8').strip()}")
        for log in sorted((run_dir / "logs").rglob("*.stderr.log")):
            text = log.read_text(encoding="utf-8", errors="replace")
            if text.strip():
                parts.append(f"--- {log.relative_to(run_dir)} (tail) ---\n{_tail(text, lines)}")
    return "\n".join(parts)


def library_wall_s(name: str) -> float:
    """The seconds of load a library scenario plays at its own time_scale."""
    from scenarios.library import find
    from scenarios.loader import load_scenario

    scenario = load_scenario(find(name))
    return float(scenario.duration_s * scenario.time_scale)


def scheduled_ids(scenario_file: Path, workers: int = 0) -> list[int]:
    """The request ids a run of this scenario file schedules with ``workers`` Locust workers (0: standalone;
    the schedule is deterministic)."""
    from drill.live.plan import make_plan
    from scenarios.loader import load_scenario
    from workload.schedule import Stage, arrivals

    run = make_plan(load_scenario(scenario_file)).run
    stages = [Stage(s.until_s, s.rate) for s in run.load.stages]
    count = max(1, workers)
    return [a.id for w in range(count) for a in arrivals(stages, run.seed, run.load.arrival, w, count)]


def run_scenario(name: str, run_dir: Path) -> CliResult:
    budget = library_wall_s(name) + RUN_OVERHEAD_S
    return llmdrill(["run", name, "--out", str(run_dir), "--no-view"], timeout_s=budget, run_dir=run_dir)


class LiveRuns:
    """Library runs started in the background, a few at a time, each read by many tests.

    Starting them all when the session reaches ``tests/live`` lets the short tests run meanwhile;
    a run costs little CPU (mostly sleeping until its arrivals are due), so two at once stay honest.
    """

    def __init__(self, base: Path, names: Sequence[str], parallel: int) -> None:
        self._base = base
        self._pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="live-run")
        self._runs: dict[str, Future[CliResult]] = {}
        for name in sorted(names, key=library_wall_s, reverse=True):   # longest first: shortest makespan
            self._submit(name)

    def _submit(self, name: str) -> Future[CliResult]:
        if name not in self._runs:
            self._runs[name] = self._pool.submit(run_scenario, name, self._base / name)
        return self._runs[name]

    def get(self, name: str) -> CliResult:
        return self._submit(name).result()

    def close(self) -> None:
        for future in self._runs.values():
            future.cancel()
        self._pool.shutdown(wait=True)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def _stat(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: fields resume after the last ')'
    return stat[stat.rfind(b")") + 2 :].split()


def descendants(root: int) -> dict[int, int]:
    """Every live descendant of ``root`` now: pid -> start time (clock ticks), to tell a reused pid apart."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and len(fields) > 19:
                parents[int(entry)] = int(fields[1])
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                fields = _stat(child)
                if fields is not None:
                    found[child] = int(fields[19])
                    todo.append(child)
    return found


def proc_alive(pid: int, start_ticks: int) -> bool:
    """The same process (not a reused pid) still exists and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and int(fields[19]) == start_ticks and fields[0] not in (b"Z", b"X")


def short_scenario(name: str, expect: list[str], *, duration: str = "3m", rate: str = "3/s") -> dict[str, Any]:
    """A short copy of the circuit-breaker story: 18 s of load at time_scale 0.1."""
    return {
        "name": name,
        "description": "a short live test scenario",
        "seed": 7,
        "time_scale": 0.1,
        "duration": duration,
        "load": {"model": "open", "rate": rate, "prompts": "appointments-es"},
        "stack": {"breaker": {"failure_threshold": 5, "recovery_timeout": "30s"}},
        "faults": [{"at": "30s", "until": "1m30s", "provider": "qwen", "label": "qwen HTTP 500",
                    "error": {"status": 500}}],
        "expect": expect,
    }


def write_scenario(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
