"""Control API, diagnostics and the command entry point."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx
import pytest

from fake_providers.servers import FakeCluster
from tests.fakes.conftest import put

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hola"}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"faults": [{"error": {"status": 418}}]}, "faults[0].error.status"),
        ({"faults": [{"latency": "1s"}, {"latncy": "1s"}]}, "faults[1].latncy"),
        ({"faults": [], "time_scale": -1}, "time_scale"),
        ([{"connection": "explode"}], "faults[0].connection"),
    ],
)
def test_bad_plan_is_400_naming_the_field(fakes: FakeCluster, body: object, field: str) -> None:
    response = httpx.put(fakes.url("qwen") + "/_control/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert response.json()["error"]["message"]
    assert httpx.get(fakes.url("qwen") + "/health").status_code == 200   # still serving


def test_invalid_json_body_is_400(fakes: FakeCluster) -> None:
    response = httpx.put(fakes.url("claude") + "/_control/faults", content=b"{nope",
                         headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]


def test_get_returns_the_plan_and_reset_clears_it(fakes: FakeCluster) -> None:
    put(fakes, "qwen", [{"at": "1m", "provider": "qwen", "error": {"status": 500}}], time_scale=0.5)
    plan = httpx.get(fakes.url("qwen") + "/_control/faults").json()
    assert plan["faults"][0]["at"] == 60.0 and plan["time_scale"] == 0.5
    assert httpx.post(fakes.url("qwen") + "/_control/reset").status_code == 200
    assert httpx.get(fakes.url("qwen") + "/_control/faults").json()["faults"] == []


def test_stats_count_outcomes_and_tokens(fakes: FakeCluster) -> None:
    url = fakes.url("openai")
    put(fakes, "openai", [{"probability": 0.5, "error": {"status": 500}}])
    statuses = [httpx.post(url + "/v1/chat/completions", json=CHAT).status_code for _ in range(40)]
    time.sleep(0.05)
    stats = httpx.get(url + "/_control/stats").json()["by_provider"]["openai"]
    assert stats["requests"] == 40
    assert stats["by_outcome"].get("http_500", 0) == statuses.count(500)
    assert stats["by_outcome"].get("ok", 0) == statuses.count(200)
    assert 5 < statuses.count(500) < 35
    assert stats["tokens"]["completion"] > 0 and stats["latency_s"]["count"] == 40


def test_health_reports_down_and_head_works(fakes: FakeCluster) -> None:
    url = fakes.url("claude")
    assert httpx.head(url + "/health").status_code == 200
    put(fakes, "claude", [{"provider": "claude", "error": {"status": 503}}])
    assert httpx.get(url + "/health").status_code == 503
    assert httpx.head(url + "/health").status_code == 503
    assert httpx.get(fakes.url("qwen") + "/health").status_code == 200


def test_limits_reflect_live_quota(fakes: FakeCluster) -> None:
    url = fakes.url("qwen")
    put(fakes, "qwen", [{"provider": "qwen", "quota": {"rpm": 100, "tpm": 60000}}])
    for _ in range(5):
        httpx.post(url + "/compatible-mode/v1/chat/completions", json=CHAT).raise_for_status()
    time.sleep(0.05)
    limits = httpx.get(url + "/v1/limits").json()
    assert limits["rate_limit"]["requests_per_minute"] == 100
    assert limits["rate_limit"]["tokens_per_minute"] == 60000
    assert limits["rate_limit"]["requests_remaining"] == 95
    assert limits["usage"]["requests_today"] == 5 and limits["usage"]["tokens_today"] > 0


def test_bad_requests_get_provider_shaped_400(fakes: FakeCluster) -> None:
    response = httpx.post(fakes.url("claude") + "/v1/messages", json={"model": "c", "messages": []})
    assert response.status_code == 400
    assert response.json()["type"] == "error" and response.json()["error"]["type"] == "invalid_request_error"
    response = httpx.post(fakes.url("openai") + "/v1/chat/completions", content=b"[",
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
    assert httpx.get(fakes.url("openai") + "/nope").status_code == 404


def test_cli_prints_urls_serves_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "fake_providers.cli", "--seed", "4"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        assert set(urls) == {"qwen", "claude", "openai"}
        assert len({u.rsplit(":", 1)[1] for u in urls.values()}) == 3
        for url in urls.values():
            assert url.startswith("http://127.0.0.1:")
            assert httpx.get(url + "/health", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_refuses_remote_host_without_flag() -> None:
    from fake_providers.cli import main

    assert main(["--host", "0.0.0.0"]) == 2
    assert main(["--port", "nope"]) == 2


# -- issue 8: requests a browser page could send -------------------------------------------------

@pytest.mark.parametrize(("method", "path", "headers", "status", "field"), [
    ("GET", "/_control/faults", {"host": "rebind.attacker.test"}, 403, "headers.host"),
    ("PUT", "/_control/faults", {"origin": "http://evil.example"}, 403, "headers.origin"),
    ("PUT", "/_control/faults", {"content-type": "text/plain"}, 415, "headers.content-type"),
    ("POST", "/_control/reset", {"origin": "null"}, 403, "headers.origin"),
    ("POST", "/v1/chat/completions", {"content-type": "text/plain"}, 415, "headers.content-type"),
    ("POST", "/v1/chat/completions", {"host": "evil.example:80"}, 403, "headers.host"),
])
def test_browser_requests_are_refused_and_change_nothing(fakes: FakeCluster, method: str, path: str,
                                                        headers: dict[str, str], status: int, field: str) -> None:
    put(fakes, "openai", [{"provider": "openai", "latency": "1ms"}])
    body = b'{"faults": []}' if path.endswith("faults") else \
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hola"}]}'
    r = httpx.request(method, fakes.url("openai") + path, content=body if method != "GET" else None,
                      headers={"content-type": "application/json", **headers})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert field in (error.get("field") or error.get("message", "")), error
    assert httpx.get(fakes.url("openai") + "/_control/faults").json()["faults"], "the plan is unchanged"


def test_loopback_names_pass_the_fakes_guard(fakes: FakeCluster) -> None:
    for host in ("localhost", f"127.0.0.1:{fakes.url('openai').rsplit(':', 1)[1]}", "[::1]"):
        r = httpx.get(fakes.url("openai") + "/_control/faults", headers={"host": host})
        assert r.status_code == 200, (host, r.text)
