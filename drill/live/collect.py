"""Records in, report out: the JSONL writers of a run and the step that turns a run directory into a report."""

from __future__ import annotations

import json
import threading
import traceback
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from drill.live.harness import describe
from drill.load.config import ConfigError, load_config
from drill.load.merge import merge_records
from reports.io import RunDataError, load_run, write_all
from reports.records import CallRecord, EventRecord
from reports.report import Report, build_report
from reports.target import mark_target
from workload.prompts import PromptsError, load_prompts


class JsonlAppender:
    """Append records as whole, flushed lines (thread-safe): an interrupted run keeps what it wrote."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, record: EventRecord | CallRecord) -> None:
        line = json.dumps(record.to_dict(), ensure_ascii=False, default=str) + "\n"
        with self._lock:
            if not self._file.closed:
                self._file.write(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()


CLOCK_FILE = "clock.json"


def write_clock(run_dir: Path, epoch: float) -> None:
    """Record the run's t=0 on CLOCK_MONOTONIC, to place the gateway's raw timestamps."""
    (run_dir / CLOCK_FILE).write_text(json.dumps({"epoch_monotonic": epoch}) + "\n", encoding="utf-8")


def read_clock(run_dir: Path) -> float:
    try:
        return float(json.loads((run_dir / CLOCK_FILE).read_text(encoding="utf-8"))["epoch_monotonic"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0   # no clock file: the gateway's times are already run-relative


def collect_gateway_events(run_dir: Path) -> tuple[int, int]:
    """Split the gateway's event log into ``calls.jsonl`` and (appended) ``events.jsonl``.

    Idempotent: does nothing when ``calls.jsonl`` exists already.  A torn last
    line (the gateway was killed mid-write) is skipped.
    """
    source = run_dir / "gateway-events.jsonl"
    calls_path = run_dir / "calls.jsonl"
    if calls_path.exists():
        return 0, 0
    calls = events = 0
    epoch = read_clock(run_dir)
    with calls_path.open("w", encoding="utf-8") as calls_out, \
            (run_dir / "events.jsonl").open("a", encoding="utf-8") as events_out:
        if not source.exists():
            return 0, 0
        for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw: dict[str, Any] = json.loads(line)
            except ValueError:
                continue
            if raw.get("record") == "call":
                if raw.get("probe"):
                    continue   # health probes are not user traffic; they are in the fakes' stats
                rid = raw.get("request_id")
                rec = CallRecord(round(float(raw["t_s"]) - epoch, 6), str(raw["provider"]), float(raw["latency_s"]),
                                 str(raw["result"]), raw.get("status"), rid if type(rid) is int else None)
                if rec.t_s < 0:
                    continue   # before t=0 only the overhead calibration calls (drill/live/calibrate.py)
                calls_out.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
                calls += 1
            elif raw.get("record") == "event":
                ev = EventRecord(round(float(raw["t_s"]) - epoch, 6), str(raw["kind"]), dict(raw.get("detail") or {}))
                events_out.write(json.dumps(ev.to_dict(), ensure_ascii=False, default=str) + "\n")
                events += 1
    return calls, events


def merge_leftovers(run_dir: Path) -> bool:
    """Merge the load's part files of a run whose ``llmdrill run`` was killed before it could.

    Returns True when it merged (there were parts and no ``requests.jsonl``).  The sent marks
    in the parts tell the requests lost in flight from those never sent.
    """
    load_dir = run_dir / "logs" / "load"
    parts = sorted(load_dir.glob("requests.w*.jsonl"))
    configs = sorted(load_dir.glob("load-config.json")) or sorted(load_dir.glob("load-config.w*.json"))
    if (run_dir / "requests.jsonl").exists() or not parts or not configs:
        return False
    try:
        config = load_config(configs[0])
        prompts = load_prompts(run_dir / "prompts.json")
    except (ConfigError, PromptsError) as exc:
        (run_dir / "report-error.txt").write_text(f"cannot merge the load's records: {exc}\n", encoding="utf-8")
        return False
    merge_records(parts, run_dir / "requests.jsonl", config, config.worker_count, prompts)
    return True


def build_run_report(run_dir: Path, harness_error: str | None = None, severity_reading: str | None = None,
                     severity_min_requests: int | None = None) -> Report:
    run = load_run(run_dir)
    problems = list(run.problems)
    if harness_error:
        problems.append(f"harness: {harness_error}")
    report = build_report(run.info, run.requests, run.calls, run.events, data_problems=tuple(problems),
                          prompts=run.prompts, severity_reading=severity_reading,
                          severity_min_requests=severity_min_requests)
    # a target run marks what only our gateway knows; a --prometheus run carries Prometheus's verdicts
    from .prometheus import read_comparison  # lazy: prometheus_client (~0.1 s) is no cost of a run without it

    report = replace(mark_target(report), prometheus=read_comparison(run_dir))
    return _unknown_after_failure(report)


def _unknown_after_failure(report: Report) -> Report:
    """After a harness failure no expectation is judged: each reads "unknown", none passes.

    With the fakes dead the gateway's fallback "succeeds"; with the gateway dead its breakers'
    last events are not their end states.  A figure the dead process would have supplied is not
    assumed, so the measured value is kept only as detail.
    """
    failures = report.info.harness_failure
    if not failures:
        return report
    why = "; ".join(describe(dict(f)) for f in failures)
    expectations = tuple(
        replace(e, passed=False, observed="unknown (the harness failed)",
                detail=f"as measured: {e.observed}; {why}") for e in report.expectations)
    return replace(report, expectations=expectations, passed=False)


def finish_report(run_dir: Path, harness_error: str | None = None, severity_reading: str | None = None,
                  severity_min_requests: int | None = None) -> bool | None:
    """Build and write the report; True/False = every expectation held or not; None = no report.

    ``severity_reading`` (``reports.severity.READINGS``) overrides the run's reading of "failed";
    ``severity_min_requests`` the run's smallest judged severity window."""
    try:
        report = build_run_report(run_dir, harness_error, severity_reading, severity_min_requests)
    except RunDataError as exc:
        (run_dir / "report-error.txt").write_text(f"{exc}\n", encoding="utf-8")
        return None
    try:
        write_all(report, run_dir)
    except Exception:  # a writer's bug must not cost the verdict, nor end in a traceback
        failure = traceback.format_exc()
        try:
            write_all(report, run_dir, plots=False)   # most often a plot: the rest still stands
        except Exception:
            (run_dir / "report-error.txt").write_text(f"writing the report failed:\n{failure}\n"
                                                      f"{traceback.format_exc()}", encoding="utf-8")
            return None
        (run_dir / "report-error.txt").write_text(f"the plots failed (report written without them):\n{failure}",
                                                  encoding="utf-8")
    return bool(report.passed)
