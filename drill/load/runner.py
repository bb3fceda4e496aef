"""Run the Locust load generator as child processes and merge what they recorded.

Standalone (``workers == 0``): one headless Locust process with one user.
Distributed: one master (``--expect-workers N``) and N ``--worker`` processes,
one user each, all on 127.0.0.1 with the master on an ephemeral port.  A hard
wall-clock bound (start lead + schedule + client timeout + margin) kills whatever
is still running; the merge then accounts for every scheduled request.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from reports.records import FAILED, LOST, OK
from workload.prompts import load_prompts

from ..supervisor import ManagedProcess, Supervisor
from .config import CONFIG_ENV, DRAIN_SLACK_S, STOP_POLL_S, LoadConfig, write_config
from .merge import MergeResult, merge_records

__all__ = ["LOCUSTFILE", "LoadResult", "run_load"]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class LoadResult:
    records_path: Path
    exit_code: int | None            # Locust's (the master's when distributed); None if it was killed
    worker_exit_codes: tuple[int | None, ...]
    scheduled: int
    ok: int
    failed: int
    lost: int
    killed: bool                     # the hard wall-clock bound was reached
    epoch_monotonic: float
    merge: MergeResult
    #: when the load stopped (CLOCK_MONOTONIC): a Locust that died, died by then
    stopped_monotonic: float | None = None
    #: a graceful stop (``config.stop_file``): the run second from which no request left
    stop_at_s: float | None = None

    @property
    def conserved(self) -> bool:
        return self.scheduled == self.ok + self.failed + self.lost


def _free_port() -> int:
    # Locust's workers must be told the master's port, so it cannot be 0 on the master's own line
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "INFO", *args]


def _env(config_path: Path) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    pythonpath = f"{_PROJECT_ROOT}{os.pathsep}{path}".rstrip(os.pathsep)
    return {CONFIG_ENV: str(config_path), "PYTHONPATH": pythonpath}


def _drain(config: LoadConfig, main: ManagedProcess, epoch: float) -> float:
    """Ask the load to stop gracefully and wait for the requests in flight (bounded by the client timeout).

    The stop second is a little ahead of now, so that every process sees the file before it launches a
    request from that second on: a request is either sent and awaited, or never sent.
    """
    assert config.stop_file is not None
    stop_at_s = time.monotonic() - epoch + 2 * STOP_POLL_S
    tmp = Path(config.stop_file + ".tmp")
    tmp.write_text(f"{stop_at_s:.6f}\n", encoding="utf-8")
    tmp.replace(config.stop_file)
    give_up = time.monotonic() + 2 * STOP_POLL_S + config.client_timeout_s + DRAIN_SLACK_S + 3.0
    while main.alive() and time.monotonic() < give_up:
        time.sleep(0.05)
    return stop_at_s


def run_load(
    config: LoadConfig,
    host: str,
    workers: int = 0,
    log_dir: Path | None = None,
    *,
    start_lead_s: float | None = None,
    margin_s: float = 15.0,
    abort: threading.Event | None = None,
) -> LoadResult:
    """Run the schedule against ``host``; returns counts, Locust's exit code and the merged records.

    ``config.epoch_monotonic`` is the run's t=0; when None it is set ``start_lead_s``
    in the future (default 3 s standalone, 5 s distributed) so Locust is up in time.
    ``abort`` set (e.g. a process of the stack died) stops Locust early; the merge still runs.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers: must be an integer >= 0, got {workers!r}")
    prompts = load_prompts(config.prompts_path)  # fail here, clearly, not inside Locust
    records_path = Path(config.records_path)
    log_dir = Path(log_dir) if log_dir is not None else records_path.parent / "load-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    lead = start_lead_s if start_lead_s is not None else (3.0 if workers == 0 else 5.0)
    epoch = config.epoch_monotonic if config.epoch_monotonic is not None else time.monotonic() + lead
    base = replace(config, epoch_monotonic=epoch)
    count = max(1, workers)
    parts = [log_dir / f"requests.w{i}.jsonl" for i in range(count)]
    for part in parts:
        part.unlink(missing_ok=True)
    if config.stop_file:
        Path(config.stop_file).unlink(missing_ok=True)   # an old run's stop must not end this one
    budget = max(0.0, epoch - time.monotonic()) + config.end_s + config.client_timeout_s + margin_s
    run_time = f"{math.ceil(budget - margin_s / 2)}s"  # Locust's own, graceful bound first
    common = ["--headless", "--only-summary", "-H", host, "-u", str(count), "-r", str(count)]
    killed = False
    stopped: float | None = None
    stop_at_s: float | None = None
    exit_code: int | None = None
    worker_codes: tuple[int | None, ...] = ()
    interrupted: BaseException | None = None
    try:
        with Supervisor(log_dir) as sup:
            if workers == 0:
                cfg = write_config(base.for_worker(0, 1, str(parts[0])), log_dir / "load-config.json")
                main = sup.start(
                    "locust", _locust(*common, "--run-time", run_time), _env(cfg), wait_for_address=False
                )
                worker_procs: list[ManagedProcess] = []
            else:
                port = _free_port()
                master_cfg = write_config(
                    base.for_worker(0, workers, str(log_dir / "requests.master.jsonl")),
                    log_dir / "load-config.master.json",
                )
                main = sup.start(
                    "locust-master",
                    _locust(
                        *common,
                        "--run-time",
                        run_time,
                        "--master",
                        "--master-bind-host",
                        "127.0.0.1",
                        "--master-bind-port",
                        str(port),
                        "--expect-workers",
                        str(workers),
                    ),
                    _env(master_cfg),
                    wait_for_address=False,
                )
                worker_procs = []
                for i in range(workers):
                    wcfg = write_config(
                        base.for_worker(i, workers, str(parts[i])), log_dir / f"load-config.w{i}.json"
                    )
                    worker_procs.append(
                        sup.start(
                            f"locust-worker{i}",
                            _locust("--worker", "--master-host", "127.0.0.1", "--master-port", str(port)),
                            _env(wcfg),
                            wait_for_address=False,
                        )
                    )
            deadline = time.monotonic() + budget
            while (main.alive() and time.monotonic() < deadline and not (abort and abort.is_set())
                   and not any(w.returncode not in (None, 0) for w in worker_procs)):   # a worker died
                time.sleep(0.1)
            stopped = time.monotonic()
            if abort is not None and abort.is_set() and base.stop_file and main.alive():
                stop_at_s = _drain(base, main, epoch)
            killed = main.alive()
            # workers leave on the master's quit message; give them a moment to close their files
            settle = time.monotonic() + 5.0
            while any(w.alive() for w in worker_procs) and time.monotonic() < settle:
                time.sleep(0.05)
            killed = killed or any(w.alive() for w in worker_procs)
            sup.stop_all(grace_s=5.0)
            exit_code = main.returncode
            worker_codes = tuple(w.returncode for w in worker_procs)
    except KeyboardInterrupt as exc:
        # Ctrl-C or SIGTERM (the Supervisor has stopped Locust by now): still account for every
        # scheduled request, so the interrupted run leaves a complete requests.jsonl, then go on
        # unwinding.
        interrupted = exc
    merged = merge_records(parts, records_path, base, count, prompts)
    if interrupted is not None:
        raise interrupted
    return LoadResult(
        records_path=records_path,
        exit_code=exit_code,
        worker_exit_codes=worker_codes,
        scheduled=merged.scheduled,
        ok=merged.counts.get(OK, 0),
        failed=merged.counts.get(FAILED, 0),
        lost=merged.counts.get(LOST, 0),
        killed=killed,
        epoch_monotonic=epoch,
        merge=merged,
        stopped_monotonic=stopped,
        stop_at_s=stop_at_s,
    )
