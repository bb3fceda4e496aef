"""An interrupted run stops every process it started, frees its ports, and still leaves every request's
record and a partial report; it exits 128 + the signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import (
    PROJECT_ROOT,
    CliResult,
    descendants,
    explain,
    proc_alive,
    read_jsonl,
    scheduled_ids,
    short_scenario,
    write_scenario,
)

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

#: the brief's bound: a Ctrl-C'd run is gone this soon, children and report included
STOP_WITHIN_S = 20.0


def _wait_for_lines(path: Path, lines: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return
        try:
            if path.read_bytes().count(b"\n") >= lines:
                return
        except OSError:
            pass
        time.sleep(0.1)


def _port_free(address: str) -> bool:
    """Nobody listens there and a server could bind it again (TIME_WAIT leftovers are fine, as for any
    server that sets SO_REUSEADDR)."""
    host_port = address.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2.0)
        if probe.connect_ex((host, int(port))) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port)))
            s.listen()
        except OSError:
            return False
    return True


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_run_cleans_up_and_reports(sig: signal.Signals, code: int, tmp_path: Path) -> None:
    # 40 s of load: long enough that the signal surely lands mid-run
    scenario = write_scenario(tmp_path / "long.yaml",
                              short_scenario("interrupted", ["count(lost) == 0"], duration="6m40s", rate="4/s"))
    run_dir = tmp_path / "run"
    argv = [sys.executable, "-m", "drill.cli", "run", str(scenario), "--out", str(run_dir), "--no-view"]
    out, err = (tmp_path / "stdout.txt").open("wb"), (tmp_path / "stderr.txt").open("wb")
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            start_new_session=True)   # so a signal meant for it never reaches pytest

    def result() -> CliResult:
        return CliResult(tuple(argv), proc.returncode if proc.returncode is not None else -1,
                         (tmp_path / "stdout.txt").read_text(errors="replace"),
                         (tmp_path / "stderr.txt").read_text(errors="replace"),
                         time.monotonic() - start, run_dir)

    try:
        _wait_for_lines(run_dir / "logs" / "load" / "requests.w0.jsonl", 5, proc, timeout_s=60)
        assert proc.poll() is None, f"the run ended before it could be interrupted\n{explain(result())}"
        children = descendants(proc.pid)
        assert len(children) >= 4, f"fakes, proxy, gateway and Locust should be running: {children}"
        gateway = (run_dir / "logs" / "gateway.stdout.log").read_text(encoding="utf-8").splitlines()[0].strip()
        proc.send_signal(sig)
        signalled = time.monotonic()
        try:
            proc.wait(timeout=STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOP_WITHIN_S:g} s after {sig.name}\n{explain(result())}")
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        out.close()
        err.close()
    res = result()
    assert proc.returncode == code, f"exit code {proc.returncode} after {sig.name}\n{explain(res)}"
    assert "Traceback" not in res.stderr, explain(res)
    assert f"interrupted by {sig.name}" in res.stderr, explain(res)

    # no process of the run survives it (a pid reused since is told apart by its start time)
    deadline = time.monotonic() + 5.0
    while [p for p, t in children.items() if proc_alive(p, t)] and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:200]
                 for p, t in children.items() if proc_alive(p, t)}
    assert not survivors, f"left running after {sig.name} ({took:.1f} s): {survivors}"
    assert _port_free(gateway), f"the gateway's port ({gateway}) is still taken"

    # every scheduled request has exactly one record: ok/failed for those answered, lost for the rest
    records = read_jsonl(run_dir / "requests.jsonl")
    assert sorted(r["id"] for r in records) == sorted(scheduled_ids(scenario)), explain(res)
    outcomes = {r["outcome"] for r in records}
    assert outcomes <= {"ok", "failed", "lost"} and "ok" in outcomes, outcomes
    assert "lost" in outcomes, "a run cut short at ~10 s of 40 s must leave unsent requests as lost"
    sent = [r for r in records if r["sent_s"] is not None]
    unsent = [r for r in records if r["sent_s"] is None]
    assert sent and unsent, (len(sent), len(unsent))
    # open model, in order: what was never sent was due after everything that was
    assert max(r["intended_s"] for r in sent) <= min(r["intended_s"] for r in unsent) + 0.5
    assert all(r["outcome"] == "lost" for r in unsent)

    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert any(sig.name in str(p) for p in report["data_problems"]), report["data_problems"]
    req = report["requests"]
    assert req["total"] == len(records) and req["sent"] == len(sent), req
    assert req["sent"] == req["succeeded"] + req["failed"] + req["lost"], req
    assert req["unsent"] > 0 and report["passed"] is False, req
    for rendered in ("report.md", "report.html", "junit.xml"):
        assert (run_dir / rendered).is_file(), rendered
    assert "partial report" in res.stderr and "verdict: PASSED" not in res.stdout, explain(res)


def test_sigint_stops_a_run_as_long_as_the_cost_limits_allow_within_seconds(tmp_path: Path) -> None:
    """The longest run the default limits admit (~200,000 requests) still stops, merged and reported, soon after
    SIGINT: its unsent schedule is merged and reported streaming, not held in memory."""
    from drill.budget import DEFAULT_LIMITS

    data = short_scenario("long-interrupted", ["count(lost) == 0"], duration="33m20s", rate="100/s")
    data.update(time_scale=1.0, faults=[])
    data["stack"]["providers"] = {"qwen": {"rpm": 100000, "tpm": 100000000}}
    scenario = write_scenario(tmp_path / "long.yaml", data)
    expected = len(scheduled_ids(scenario))
    assert 0.5 * DEFAULT_LIMITS.requests < expected <= DEFAULT_LIMITS.requests
    run_dir = tmp_path / "run"
    argv = [sys.executable, "-m", "drill.cli", "run", str(scenario), "--out", str(run_dir), "--no-view"]
    with (tmp_path / "out.txt").open("wb") as out:
        proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    try:
        _wait_for_lines(run_dir / "logs" / "load" / "requests.w0.jsonl", 50, proc, timeout_s=60)
        assert proc.poll() is None, (tmp_path / "out.txt").read_text(errors="replace")
        proc.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        proc.wait(timeout=90)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    text = (tmp_path / "out.txt").read_text(errors="replace")
    assert proc.returncode == 130 and "Traceback" not in text, text
    assert took < 60, f"{took:.1f} s from SIGINT to exit"
    merge = json.loads((run_dir / "merge.json").read_text(encoding="utf-8"))
    assert merge["scheduled"] == expected and merge["unsent"] > 0.9 * expected, merge
    assert (run_dir / "report.json").is_file()
