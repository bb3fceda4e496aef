"""A real Prometheus server (drill.live.prometheus) scraping a real /metrics endpoint with the compressed
rules loaded: it fires the timeout alert on a timeout burst, and its ALERTS are read back and compared."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from drill.live.prometheus import AlertComparison, compare, firing_intervals, start_prometheus
from drill.supervisor import Supervisor

pytestmark = pytest.mark.live


@pytest.fixture
def metrics_server() -> Iterator[tuple[str, Counter, Counter]]:
    registry = CollectorRegistry()
    calls = Counter("llm_requests_total", "calls", ["provider", "result"], registry=registry)
    timeouts = Counter("llm_timeouts_total", "timeouts", ["provider"], registry=registry)
    Gauge("llm_degraded_mode", "degraded", registry=registry).set(0)
    calls.labels("qwen", "ok")
    calls.labels("qwen", "timeout")
    timeouts.labels("qwen")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = generate_latest(registry)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", calls, timeouts
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_prometheus_fires_the_compressed_timeout_alert(metrics_server: tuple[str, Counter, Counter],
                                                        tmp_path: Path) -> None:
    if shutil.which("prometheus") is None:
        from .promtool import promtool

        promtool()   # the same rule as for promtool: skipped outside CI, a failure in CI
        pytest.skip("the prometheus server is not on PATH")
    url, calls, timeouts = metrics_server
    scale = 0.05   # the 5 m window is 15 s of wall time; scrapes and evaluations every 0.25 s
    with Supervisor(tmp_path / "logs", handle_signals=False) as sup:
        epoch = time.monotonic()
        server = start_prometheus(sup, tmp_path, url, epoch, scale)
        assert server.url.startswith("http://127.0.0.1:")
        stop = time.monotonic() + 9.0
        burst = (time.monotonic() - epoch + 3.0, time.monotonic() - epoch + 9.0)
        while time.monotonic() < stop:   # 40 calls a second; 30 % time out during the burst
            t = time.monotonic() - epoch
            bad = 12 if burst[0] <= t < burst[1] else 0
            calls.labels("qwen", "ok").inc(40 - bad)
            calls.labels("qwen", "timeout").inc(bad)
            timeouts.labels("qwen").inc(bad)
            time.sleep(1.0)
        time.sleep(2 * server.interval_wall_s + 0.5)   # the last scrape and evaluation
        end_s = (time.monotonic() - epoch) / scale
        seen = firing_intervals(server, end_s)
    assert "LLMTimeoutRateHigh" in seen, seen
    first = seen["LLMTimeoutRateHigh"][0][0]
    # 5 % of 40 calls/s over the 15 s window is 30 timeouts: the third second of the burst (12 a second)
    # breaches, and the next scrape and evaluation see it (times in scenario seconds)
    assert (burst[0] + 1.0) / scale <= first <= (burst[0] + 5.0) / scale, (first, burst)
    assert (tmp_path / "prometheus" / "rules.yml").is_file()

    interval_s = server.interval_wall_s / scale
    harness = [{"rule": "latency.timeout_rate", "fired": True, "first_fired_s": first + 1.0},
               {"rule": "down.500_rate", "fired": False, "first_fired_s": None},
               {"rule": "rate_limit.429_rate", "fired": True, "first_fired_s": 100.0}]
    rows = {c.rule: c for c in compare(harness, seen, interval_s)}
    assert rows["latency.timeout_rate"].agrees
    assert rows["down.500_rate"].agrees
    assert not rows["rate_limit.429_rate"].agrees   # the harness fired, Prometheus did not: shown


def test_first_fired_times_agree_only_within_the_tolerance() -> None:
    seen = {"LLMTimeoutRateHigh": [(100.0, 200.0)]}
    (near,) = compare([{"rule": "latency.timeout_rate", "fired": True, "first_fired_s": 108.0}], seen, 5.0)
    (far,) = compare([{"rule": "latency.timeout_rate", "fired": True, "first_fired_s": 140.0}], seen, 5.0)
    assert isinstance(near, AlertComparison) and near.tolerance_s == 15.0
    assert near.agrees and not far.agrees
    assert far.to_dict()["prometheus"] == {"fired": True, "first_fired_s": 100.0}
