"""The run's /metrics scraper against a real HTTP server, and the scrapes' time base."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from drill.live.scrape import MIN_WALL_INTERVAL_S, MetricsScraper, parse_metrics, scrape_interval_s
from reports.io import RunDataError
from reports.scrapes import Sample, Scrape, read_scrapes, series_key, to_scenario_time


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("llm_requests_total", "calls", ["provider", "result"], registry=self.registry)
        self.latency = Histogram("llm_request_duration_seconds", "latency", ["provider"], buckets=(0.5, 1.0),
                                 registry=self.registry)
        self.fail = False


@pytest.fixture
def server() -> Iterator[tuple[str, _Metrics]]:
    metrics = _Metrics()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if metrics.fail:
                self.send_response(503)
                self.end_headers()
                return
            body = generate_latest(metrics.registry)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/metrics", metrics
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_scrapes_land_on_the_grid_and_follow_the_counters(server: tuple[str, _Metrics], tmp_path: Path) -> None:
    url, metrics = server
    path = tmp_path / "metrics.jsonl"
    epoch = time.monotonic() + 0.2
    interval = 0.1
    with MetricsScraper(url, path, epoch, interval):
        time.sleep(0.45)
        metrics.calls.labels("qwen", "ok").inc(7)
        metrics.latency.labels("qwen").observe(0.7)
        time.sleep(0.4)
    scrapes = read_scrapes(path)
    assert len(scrapes) >= 4
    assert all(s.error is None for s in scrapes)
    for s in scrapes:
        k = s.t_s / interval
        assert s.t_s >= -1e-6
        assert abs(k - round(k)) * interval < 0.05, f"scrape at {s.t_s} is off the {interval} s grid"
    last = {series_key(x.name, x.labels): x.value for x in scrapes[-1].samples}
    assert last['llm_requests_total{provider="qwen",result="ok"}'] == 7
    assert last['llm_request_duration_seconds_bucket{le="1.0",provider="qwen"}'] == 1
    assert last['llm_request_duration_seconds_bucket{le="0.5",provider="qwen"}'] == 0
    assert not any(name.endswith("_created") for name in last)


def test_a_failed_scrape_is_recorded_not_lost(server: tuple[str, _Metrics], tmp_path: Path) -> None:
    url, metrics = server
    metrics.fail = True
    path = tmp_path / "metrics.jsonl"
    with MetricsScraper(url, path, time.monotonic(), 0.1):
        time.sleep(0.35)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and all("error" in line and "503" in line["error"] for line in lines)
    assert all(s.error for s in read_scrapes(path))


def test_a_dead_server_is_a_failed_scrape(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    with MetricsScraper("http://127.0.0.1:9/metrics", path, time.monotonic(), 0.1, timeout_s=0.2):
        time.sleep(0.3)
    assert all(s.error for s in read_scrapes(path)) and read_scrapes(path)


def test_parse_metrics_keeps_labels_and_values() -> None:
    text = '# TYPE x_total counter\nx_total{a="1"} 3.0\nx_created{a="1"} 1.7e9\n# TYPE g gauge\ng 0.5\n'
    assert parse_metrics(text) == [["x_total", {"a": "1"}, 3.0], ["g", {}, 0.5]]


@given(st.floats(min_value=0.001, max_value=10), st.floats(min_value=0.1, max_value=60))
def test_the_interval_is_a_multiple_that_respects_the_wall_floor(scale: float, interval: float) -> None:
    got = scrape_interval_s(scale, interval)
    ratio = got / interval
    assert abs(ratio - round(ratio)) < 1e-6 and round(ratio) >= 1
    assert got * scale >= MIN_WALL_INTERVAL_S * (1 - 1e-6)    # never faster than the floor
    assert round(ratio) == 1 or (got - interval) * scale < MIN_WALL_INTERVAL_S   # the smallest such multiple


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_time_scale_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="time_scale"):
        scrape_interval_s(bad)


def test_scenario_time_divides_durations_only() -> None:
    scrape = Scrape(1.5, (
        Sample("llm_request_duration_seconds_bucket", {"le": "1.0", "provider": "q"}, 4),
        Sample("llm_request_duration_seconds_bucket", {"le": "+Inf", "provider": "q"}, 5),
        Sample("llm_request_duration_seconds_sum", {"provider": "q"}, 2.5),
        Sample("llm_request_duration_seconds_count", {"provider": "q"}, 5),
        Sample("parsing_confidence_sum", {}, 3.2),
        Sample("llm_requests_total", {"provider": "q", "result": "ok"}, 5),
    ))
    (got,) = to_scenario_time([scrape], 0.1)
    assert got.t_s == pytest.approx(15.0)
    by = {series_key(x.name, x.labels): x.value for x in got.samples}
    assert by['llm_request_duration_seconds_bucket{le="10.0",provider="q"}'] == 4
    assert by['llm_request_duration_seconds_bucket{le="+Inf",provider="q"}'] == 5
    assert by['llm_request_duration_seconds_sum{provider="q"}'] == pytest.approx(25.0)
    assert by['llm_request_duration_seconds_count{provider="q"}'] == 5
    assert by["parsing_confidence_sum"] == 3.2
    assert by['llm_requests_total{provider="q",result="ok"}'] == 5


def test_a_missing_or_corrupt_metrics_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunDataError, match=r"metrics.jsonl: missing"):
        read_scrapes(tmp_path / "metrics.jsonl")
    bad = tmp_path / "metrics.jsonl"
    bad.write_text('{"t_s": 1, "samples": []}\nnot json\n{"t_s": 2, "samples": []}\n', encoding="utf-8")
    with pytest.raises(RunDataError, match=r"metrics.jsonl:2: not a scrape record"):
        read_scrapes(bad)
    bad.write_text('{"t_s": 1, "samples": []}\n{"t_s": 2, "samp', encoding="utf-8")   # torn last line
    assert [s.t_s for s in read_scrapes(bad)] == [1.0]
