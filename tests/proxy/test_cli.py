"""``llmdrill proxy`` as a process: URL first on stdout, serves, exits 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
import requests

from fake_providers.proxy import client as client_module
from fake_providers.proxy.cli import main


def _start() -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "fake_providers.proxy", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timer = threading.Timer(15, proc.kill)
    timer.start()
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    timer.cancel()
    return proc, line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_url_serves_and_exits_zero(sig: signal.Signals) -> None:
    proc, url = _start()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(url + "/version", timeout=5).status_code == 200
        proc.send_signal(sig)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_refuses_a_non_loopback_host_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_bad_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "70000"]) == 2
    assert "70000" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "many"])
    assert exit_info.value.code == 2


def test_toxiproxy_url_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOXIPROXY_URL", "http://127.0.0.1:9999/")
    assert client_module.toxiproxy_url() == "http://127.0.0.1:9999"


def test_toxiproxy_url_starts_ours_when_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # no toxiproxy-server there
    try:
        url = client_module.toxiproxy_url()
        assert client_module.toxiproxy_url() == url  # started once, then reused
        assert client_module.ToxiproxyClient(url).proxies() == {}
    finally:
        client_module.stop_started_servers()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/version", timeout=2)
