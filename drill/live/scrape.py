"""Scrape the gateway's ``/metrics`` during a run, as Prometheus would, into ``metrics.jsonl``.

One JSON line per scrape, appended and flushed as it happens:
``{"t_s": 12.5, "samples": [[name, {label: value}, value], ...]}`` with ``t_s`` in run seconds
(CLOCK_MONOTONIC minus the run's epoch, the time base of the other record files), or
``{"t_s": 12.5, "error": "..."}`` for a scrape that failed — a missing sample, as in Prometheus.

Scrapes are aimed at ``k * interval`` after the epoch (Prometheus's fixed scrape grid), so that
``reports.export_promtool`` can place each on its own step of a ``promtool test rules`` series.
The interval is given in scenario seconds and compressed with the run, with a floor in wall time
so that a heavily compressed run does not spend the gateway's CPU on being watched.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = [
    "DEFAULT_INTERVAL_S",
    "METRICS_FILE",
    "MIN_WALL_INTERVAL_S",
    "MetricsScraper",
    "parse_metrics",
    "scrape_interval_s",
    "start_scraper",
]

METRICS_FILE = "metrics.jsonl"
#: scenario seconds between scrapes
DEFAULT_INTERVAL_S = 5.0
#: wall seconds: never scrape more often than this
MIN_WALL_INTERVAL_S = 0.25


def scrape_interval_s(time_scale: float, interval_s: float = DEFAULT_INTERVAL_S) -> float:
    """The scrape interval in scenario seconds: ``interval_s``, or longer if it would be under the floor."""
    if not (math.isfinite(time_scale) and time_scale > 0):
        raise ValueError(f"time_scale must be a positive number, not {time_scale!r}")
    if not (math.isfinite(interval_s) and interval_s > 0):
        raise ValueError(f"scrape interval must be a positive number of seconds, not {interval_s!r}")
    floor = MIN_WALL_INTERVAL_S / time_scale
    # a whole multiple of the requested interval keeps the grid aligned with rule windows
    return interval_s * max(1, math.ceil(floor / interval_s - 1e-9))


def parse_metrics(text: str) -> list[list[Any]]:
    """Prometheus text exposition -> ``[name, labels, value]`` samples (``_created`` series dropped)."""
    out: list[list[Any]] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.endswith("_created"):
                continue   # creation timestamps: not series any rule reads
            out.append([s.name, dict(s.labels), float(s.value)])
    return out


class MetricsScraper:
    """A daemon thread that scrapes ``url`` every ``interval_wall_s`` from ``epoch`` until stopped."""

    def __init__(self, url: str, path: Path, epoch: float, interval_wall_s: float, *,
                 clock: Callable[[], float] = time.monotonic, timeout_s: float | None = None) -> None:
        if not interval_wall_s > 0:
            raise ValueError(f"scrape interval must be positive, not {interval_wall_s!r}")
        self._url = url
        self._path = path
        self._epoch = epoch
        self._interval = interval_wall_s
        self._clock = clock
        self._timeout = timeout_s if timeout_s is not None else max(1.0, interval_wall_s)
        self._stop = threading.Event()
        self._path.write_bytes(b"")   # a fresh file: a reused run directory keeps no stale scrapes
        self._thread = threading.Thread(target=self._loop, name="metrics-scraper", daemon=True)
        self.scrapes = 0
        self.errors = 0

    def start(self) -> MetricsScraper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._timeout + 5)

    def __enter__(self) -> MetricsScraper:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        with self._path.open("a", encoding="utf-8", buffering=1) as out, httpx.Client(timeout=self._timeout) as client:
            k = max(0, math.ceil((self._clock() - self._epoch) / self._interval))
            while True:
                due = self._epoch + k * self._interval
                if self._stop.wait(max(0.0, due - self._clock())):
                    return
                out.write(json.dumps(self._scrape(client), ensure_ascii=False) + "\n")
                # a slow scrape skips the ticks it overran, as Prometheus does
                k = max(k + 1, math.ceil((self._clock() - self._epoch) / self._interval))

    def _scrape(self, client: httpx.Client) -> dict[str, Any]:
        start = self._clock()
        try:
            r = client.get(self._url)
            r.raise_for_status()
            samples = parse_metrics(r.text)
        except (httpx.HTTPError, ValueError) as exc:
            self.errors += 1
            return {"t_s": round(start - self._epoch, 6), "error": f"{type(exc).__name__}: {exc}"[:300]}
        self.scrapes += 1
        # Prometheus stamps a sample with the scrape's start
        return {"t_s": round(start - self._epoch, 6), "samples": samples}


def start_scraper(gateway_url: str, run_dir: Path, epoch: float, time_scale: float,
                  interval_s: float = DEFAULT_INTERVAL_S) -> MetricsScraper:
    """Scrape ``gateway_url``/metrics into ``run_dir``/metrics.jsonl every ``interval_s`` scenario seconds."""
    wall = scrape_interval_s(time_scale, interval_s) * time_scale
    return MetricsScraper(gateway_url.rstrip("/") + "/metrics", run_dir / METRICS_FILE, epoch, wall).start()
