"""The harness knows when it failed: a process of the run that dies makes the run exit 3 with a partial
report naming it and when it died; SIGKILL of ``llmdrill run`` itself leaves no process and no port
behind, and its records can still be merged (in-flight requests as lost in flight); a shell's
``LLM_PROVIDER`` never reaches the gateway of a run."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .support import (
    PROJECT_ROOT,
    CliResult,
    descendants,
    explain,
    llmdrill,
    proc_alive,
    read_jsonl,
    scheduled_ids,
    short_scenario,
    write_scenario,
)

pytestmark = [pytest.mark.live, pytest.mark.timeout(240)]

#: the load lasts 18 s (3 scenario minutes at 0.1); a death 1-2 s in must end the run long before that
LOAD_S = 18.0
#: the argv marker of each child of the run (``/proc/PID/cmdline``)
CHILD = {"fakes": b"drill.cli\0fake-providers", "proxy": b"drill.cli\0proxy", "gateway": b"drill.cli\0gateway",
         "locust": b"-m\0locust\0", "locust-worker": b"\0--worker\0"}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class _Run:
    """``llmdrill run`` in the background, in its own session (a signal meant for it never reaches pytest)."""

    def __init__(self, tmp_path: Path, scenario: Path, workers: int = 0) -> None:
        self.run_dir = tmp_path / "run"
        self.argv = [sys.executable, "-m", "drill.cli", "run", str(scenario), "--out", str(self.run_dir),
                     "--no-view", "--workers", str(workers)]
        self._out, self._err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        self._start = time.monotonic()
        with self._out.open("wb") as out, self._err.open("wb") as err:
            self.proc = subprocess.Popen(self.argv, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, start_new_session=True)

    def result(self) -> CliResult:
        code = self.proc.returncode if self.proc.returncode is not None else -1
        return CliResult(tuple(self.argv), code, self._out.read_text(errors="replace"),
                         self._err.read_text(errors="replace"), time.monotonic() - self._start, self.run_dir)

    def wait_for_load(self, records: int = 5, timeout_s: float = 60.0) -> None:
        part = self.run_dir / "logs" / "load" / "requests.w0.jsonl"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if part.read_bytes().count(b'"outcome"') >= records:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"no load {timeout_s:g} s after the start\n{explain(self.result())}")

    def child(self, name: str) -> int:
        pids = [p for p in descendants(self.proc.pid) if CHILD[name] in _cmdline(p)]
        assert pids, f"no {name} process among the run's children\n{explain(self.result())}"
        return min(pids)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _summary_counts(stdout: str) -> dict[str, int]:
    m = re.search(r"requests: scheduled (\d+)\s+sent (\d+)\s+succeeded (\d+)\s+failed (\d+)\s+lost (\d+) "
                  r"\(in flight (\d+), never sent (\d+)\)", stdout)
    assert m, f"no requests summary line in:\n{stdout}"
    keys = ("total", "sent", "succeeded", "failed", "lost_total", "lost", "unsent")
    return dict(zip(keys, map(int, m.groups()), strict=True))


def _check_lost_reasons(records: list[dict[str, Any]], merge: dict[str, Any]) -> None:
    lost = [r for r in records if r["outcome"] == "lost"]
    for r in lost:
        assert r["error"] == ("unsent" if r["sent_s"] is None else "lost_in_flight"), r
    assert merge["lost_in_flight"] == sum(r["sent_s"] is not None for r in lost), merge
    assert merge["unsent"] == sum(r["sent_s"] is None for r in lost), merge


@pytest.mark.parametrize("victim", ["fakes", "proxy", "gateway", "locust", "locust-worker"])
def test_a_child_that_dies_makes_the_run_a_harness_failure(victim: str, tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s.yaml", short_scenario(f"dies-{victim}", ["count(lost) == 0"]))
    run = _Run(tmp_path, scenario, workers=2 if victim == "locust-worker" else 0)
    try:
        run.wait_for_load()
        pid = run.child(victim)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        try:
            run.proc.wait(timeout=LOAD_S + 60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run did not end after its {victim} died\n{explain(run.result())}")
        ended_after = time.monotonic() - killed_at
    finally:
        run.close()
    res = run.result()
    assert res.code == 3, explain(res)
    assert "Traceback" not in res.stderr, explain(res)
    assert f"process '{victim}" in res.stderr and "SIGKILL" in res.stderr, explain(res)
    assert "verdict: PASSED" not in res.stdout and "verdict: FAILED" not in res.stdout, explain(res)
    assert ended_after < LOAD_S, f"the run went on {ended_after:.1f} s after {victim} died"

    info = json.loads((run.run_dir / "run.json").read_text(encoding="utf-8"))
    (failure,) = info["harness_failure"]
    assert failure["process"].startswith(victim) and failure["signal"] == "SIGKILL", failure
    assert 0 < failure["t_s"] < LOAD_S and failure["scenario_t_s"] == pytest.approx(failure["t_s"] / 0.1, rel=1e-3)
    assert failure["unknown_after"], failure
    events = read_jsonl(run.run_dir / "events.jsonl")
    assert [e["detail"]["process"] for e in events if e["kind"] == "harness_failure"] == [failure["process"]]

    records = read_jsonl(run.run_dir / "requests.jsonl")
    workers = 2 if victim == "locust-worker" else 0
    assert sorted(r["id"] for r in records) == sorted(scheduled_ids(scenario, workers)), explain(res)
    merge = info["merge"]
    assert merge["scheduled"] == len(records) and merge["bad_lines"] >= 0, merge
    assert merge["counts"] == dict(Counter(r["outcome"] for r in records)), merge
    _check_lost_reasons(records, merge)

    report = res.report()
    assert report["harness_failure"] == info["harness_failure"]
    assert any(victim in str(p) for p in report["data_problems"]), report["data_problems"]
    summary = _summary_counts(res.stdout)
    assert summary == {k: report["requests"][k] for k in summary}, (summary, report["requests"])


def _listening(address: str) -> bool:
    host_port = address.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    with socket.socket() as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((host, int(port))) != 0:
            return False
        # A port of the ephemeral range with nobody on it can still "connect": the kernel may pick that
        # very port as the probe's source, and the socket meets itself (TCP simultaneous open).
        return probe.getsockname() != probe.getpeername()


def test_sigkill_of_the_run_leaves_no_process_no_port_and_mergeable_records(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s.yaml", short_scenario("killed-run", ["count(lost) == 0"]))
    run = _Run(tmp_path, scenario)
    try:
        run.wait_for_load()
        children = descendants(run.proc.pid)
        assert len(children) >= 4, f"fakes, proxy, gateway and Locust should be running: {children}"
        logs = run.run_dir / "logs"
        fakes = json.loads((logs / "fakes.stdout.log").read_text(encoding="utf-8").splitlines()[0])
        addresses = [*fakes.values(), *(
            (logs / f"{name}.stdout.log").read_text(encoding="utf-8").splitlines()[0] for name in ("gateway", "proxy"))]
        assert all(_listening(a) for a in addresses), addresses
        run.proc.send_signal(signal.SIGKILL)   # no handler runs: only the kernel can stop the children
        run.proc.wait(timeout=10)
        deadline = time.monotonic() + 5.0
        while [p for p, t in children.items() if proc_alive(p, t)] and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = {p: _cmdline(p)[:120] for p, t in children.items() if proc_alive(p, t)}
        assert not survivors, f"left running 5 s after SIGKILL of the run: {survivors}"
        # the listening sockets close with their last holder, which is gone: allow the same 5 s only for
        # the kernel's bookkeeping, then any port still answering is a leak
        while [a for a in addresses if _listening(a)] and time.monotonic() < deadline + 5.0:
            time.sleep(0.05)
        assert not [a for a in addresses if _listening(a)], "a port of the run is still served"
    finally:
        for pid, start in descendants(run.proc.pid).items():   # only if the test failed
            if proc_alive(pid, start):
                os.kill(pid, signal.SIGKILL)
        run.close()

    # the killed run left its parts unmerged; `llmdrill report` merges them and says the run was cut short
    assert not (run.run_dir / "requests.jsonl").exists()
    res = llmdrill(["report", str(run.run_dir)], timeout_s=120, run_dir=run.run_dir)
    assert res.code == 3 and "Traceback" not in res.stderr, explain(res)
    records = read_jsonl(run.run_dir / "requests.jsonl")
    assert sorted(r["id"] for r in records) == sorted(scheduled_ids(scenario))
    info = json.loads((run.run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["harness_failure"][0]["process"] == "llmdrill run", info["harness_failure"]
    _check_lost_reasons(records, info["merge"])
    assert info["merge"]["unsent"] > 0, info["merge"]


def test_a_shell_llm_provider_does_not_reach_the_run(tmp_path: Path) -> None:
    # auto routing sends ~70 % to qwen before its fault (at 30 s); a leaked pin would send all to claude
    data = short_scenario("hermetic", ["count(lost) == 0"], duration="1m")
    data["faults"] = []
    scenario = write_scenario(tmp_path / "s.yaml", data)
    run_dir = tmp_path / "run"
    shell = {"LLM_PROVIDER": "claude", "HTTPS_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
             "ALL_PROXY": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "sk-from-the-shell",
             "LLMDRILL_QWEN_URL": "http://127.0.0.1:9"}
    res = llmdrill(["run", str(scenario), "--out", str(run_dir), "--no-view"], timeout_s=150, run_dir=run_dir,
                   env=shell)
    assert res.code == 0, explain(res)
    answered = Counter(r["provider"] for r in read_jsonl(run_dir / "requests.jsonl") if r["outcome"] == "ok")
    assert answered["qwen"] > answered["claude"] > 0, answered
    log = "".join(p.read_text(errors="replace") for p in (run_dir / "logs").glob("*.log"))
    assert "sk-from-the-shell" not in log
