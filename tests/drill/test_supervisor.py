"""The supervisor with small Python children: readiness, failures, and no orphans left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from drill.process_groups import group_alive
from drill.supervisor import StartupError, Supervisor


def _script(tmp_path: Path, name: str, body: str) -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in (b"Z", b"X")


SERVE = """
    import signal, sys, time
    print("http://127.0.0.1:1234", flush=True)
    print("more output that goes to the log", flush=True)
    sys.stderr.write("hello on stderr\\n")
    time.sleep(60)
"""


def test_start_reads_the_first_line_and_logs_the_rest(tmp_path: Path):
    with Supervisor(tmp_path / "logs") as sup:
        proc = sup.start("svc", _script(tmp_path, "svc", SERVE))
        assert proc.address == "http://127.0.0.1:1234"
        assert proc.alive()
        deadline = time.monotonic() + 5
        while b"more output" not in proc.stdout_path.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b"more output" in proc.stdout_path.read_bytes()
        codes = sup.stop_all(grace_s=2)
    assert codes["svc"] is not None and not proc.alive()
    assert "hello on stderr" in proc.stderr_path.read_text()


def test_a_child_that_dies_before_printing_is_named_with_its_stderr(tmp_path: Path):
    argv = _script(tmp_path, "dies", "import sys\nsys.stderr.write('boom: no config\\n')\nsys.exit(3)\n")
    with Supervisor(tmp_path / "logs") as sup, pytest.raises(StartupError) as info:
        sup.start("dies", argv, ready_timeout_s=10)
    message = str(info.value)
    assert "'dies'" in message and "code 3" in message and "boom: no config" in message


def test_a_silent_child_times_out_and_is_killed(tmp_path: Path):
    argv = _script(tmp_path, "silent", "import time\ntime.sleep(60)\n")
    with Supervisor(tmp_path / "logs") as sup:
        t0 = time.monotonic()
        with pytest.raises(StartupError, match=r"'silent' printed no address within 0\.5 s"):
            sup.start("silent", argv, ready_timeout_s=0.5)
        assert time.monotonic() - t0 < 5
        proc = sup.processes["silent"]
        assert not proc.alive() and not group_alive(proc.pid)


def test_missing_executable_is_a_startup_error(tmp_path: Path):
    with Supervisor(tmp_path) as sup, pytest.raises(StartupError, match="'nope' could not be started"):
        sup.start("nope", ["/no/such/binary"])


def test_bad_names_are_refused(tmp_path: Path):
    with Supervisor(tmp_path) as sup:
        with pytest.raises(ValueError, match="process name"):
            sup.start("../x", [sys.executable, "-c", "pass"])
        sup.start("a", [sys.executable, "-c", "pass"], wait_for_address=False)
        with pytest.raises(ValueError, match="already in use"):
            sup.start("a", [sys.executable, "-c", "pass"], wait_for_address=False)


IGNORES_TERM = """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(120)
"""


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path):
    with Supervisor(tmp_path / "logs") as sup:
        proc = sup.start("stubborn", _script(tmp_path, "stubborn", IGNORES_TERM))
        t0 = time.monotonic()
        codes = sup.stop_all(grace_s=0.5)
        elapsed = time.monotonic() - t0
    assert codes["stubborn"] == -signal.SIGKILL
    assert 0.4 <= elapsed < 5
    assert not _pid_alive(proc.pid)


SPAWNS_GRANDCHILD = """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
    print(child.pid, flush=True)
    time.sleep(120)
"""


def test_grandchildren_do_not_survive(tmp_path: Path):
    with Supervisor(tmp_path / "logs") as sup:
        proc = sup.start("parent", _script(tmp_path, "parent", SPAWNS_GRANDCHILD))
        grandchild = int(proc.address or "0")
        assert _pid_alive(grandchild)
        sup.stop_all(grace_s=0.5)
    deadline = time.monotonic() + 5
    while _pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(grandchild)
    assert not group_alive(proc.pid)


def test_leaving_the_context_stops_everything(tmp_path: Path):
    with Supervisor(tmp_path / "logs") as sup:
        a = sup.start("a", _script(tmp_path, "a", SERVE))
        b = sup.start("b", _script(tmp_path, "b", SPAWNS_GRANDCHILD))
    assert not a.alive() and not b.alive()
    assert not group_alive(a.pid) and not group_alive(b.pid)


def test_sigterm_to_the_orchestrator_leaves_no_orphans(tmp_path: Path):
    """A run interrupted by SIGTERM stops its children, then dies of the signal itself."""
    logs = tmp_path / "logs"
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from drill.supervisor import Supervisor
        with Supervisor({str(logs)!r}) as sup:
            p = sup.start("kid", {_script(tmp_path, "kid", SPAWNS_GRANDCHILD)!r})
            print(p.pid, p.address, flush=True)
            time.sleep(60)
    """))
    orchestrator = subprocess.Popen([sys.executable, str(driver)], stdout=subprocess.PIPE, text=True)
    try:
        line = orchestrator.stdout.readline() if orchestrator.stdout else ""
        kid, grandchild = (int(x) for x in line.split())
        assert _pid_alive(kid) and _pid_alive(grandchild)
        orchestrator.send_signal(signal.SIGTERM)
        code = orchestrator.wait(timeout=20)
    finally:
        if orchestrator.poll() is None:
            orchestrator.kill()
    assert code == -signal.SIGTERM
    deadline = time.monotonic() + 5
    while (_pid_alive(kid) or _pid_alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(kid) and not _pid_alive(grandchild)


class _Handler(BaseHTTPRequestHandler):
    ready_after = 0.0

    def do_GET(self) -> None:
        status = 200 if time.monotonic() >= _Handler.ready_after else 503
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_wait_http_ready_waits_for_2xx_and_times_out(tmp_path: Path):
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/healthz"
    try:
        with Supervisor(tmp_path, handle_signals=False) as sup:
            _Handler.ready_after = time.monotonic() + 0.5
            t0 = time.monotonic()
            sup.wait_http_ready(url, timeout_s=10)
            assert 0.4 <= time.monotonic() - t0 < 5
            _Handler.ready_after = time.monotonic() + 60
            with pytest.raises(StartupError, match="HTTP 503"):
                sup.wait_http_ready(url, timeout_s=0.5)
    finally:
        server.shutdown()


def test_wait_http_ready_notices_a_dead_process(tmp_path: Path):
    with Supervisor(tmp_path) as sup:
        proc = sup.start("quits", [sys.executable, "-c", "import sys; sys.exit(4)"], wait_for_address=False)
        proc.popen.wait(timeout=10)
        with pytest.raises(StartupError, match="'quits' exited with code 4"):
            sup.wait_http_ready("http://127.0.0.1:9/", timeout_s=5, process=proc)


def test_signal_handlers_are_restored(tmp_path: Path):
    before = signal.getsignal(signal.SIGTERM)
    with Supervisor(tmp_path):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
