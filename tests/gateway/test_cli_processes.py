"""The issue's headline, as a new user runs it: `llmdrill fake-providers`, `llmdrill gateway`, one request.

Real processes, real sockets, the gateway's URLs from the environment variables the README shows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "drill.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise AssertionError(f"{args[0]} printed nothing: {proc.stderr.read() if proc.stderr else ''}")
    return proc, line


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    fakes, urls = _start(["fake-providers"])
    env = {f"LLMDRILL_{name.upper()}_URL": url for name, url in json.loads(urls).items()}
    gateway, url = _start(["gateway"], env)
    try:
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        for proc in (gateway, fakes):
            proc.send_signal(signal.SIGTERM)
        for proc in (gateway, fakes):
            assert proc.wait(timeout=15) == 0, "each stops cleanly on SIGTERM"


def test_headline_request_through_real_processes(gateway_url: str) -> None:
    r = httpx.post(gateway_url + "/v1/appointments/parse", json={"prompt": "cita mañana 10am con Dr. Pérez"},
                   timeout=30)
    assert r.status_code == 200, r.text
    entities = r.json()["entities"]
    assert entities["contacto"] == "Dr. Pérez"
    assert entities["hora"]["resolved"] == "10:00"
    assert entities["fecha"]["resolved"] == (date.today() + timedelta(days=1)).isoformat()
    assert r.headers["x-llmdrill-provider"] in ("qwen", "claude", "openai")


def test_metrics_and_admin_answer_on_the_real_socket(gateway_url: str) -> None:
    assert "llm_request_duration_seconds" in httpx.get(gateway_url + "/metrics", timeout=10).text
    assert httpx.get(gateway_url + "/admin/config", timeout=10).json()["provider"] == "auto"


def test_a_bad_config_is_a_clear_error_not_a_traceback(tmp_path: pytest.TempPathFactory) -> None:
    bad = tmp_path / "bad.yaml"  # type: ignore[operator]
    bad.write_text("breakr: {failure_threshold: 5}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "drill.cli", "gateway", "--config", str(bad)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "breakr: unknown field (did you mean 'breaker'?)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_a_clear_error_not_a_traceback(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import main

    assert main(["--port", port]) == 2
    err = capsys.readouterr().err
    assert f"--port: expected 0..65535, got {port}" in err and "Traceback" not in err
