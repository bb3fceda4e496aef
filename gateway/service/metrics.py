"""Prometheus metrics under the runbook's names.

Counters and histograms are fed by the request path's observer events; states
(breakers, modes, quota) are read from the stack at scrape time, so a breaker
that went HALF_OPEN by the passage of time shows as such without anyone calling it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..core.observer import CallEvent, StateEvent
from ..core.parse_outcome import ParseOutcome
from ..core.stack import Stack
from ..outcomes import FailureKind

__all__ = ["LATENCY_BUCKETS_S", "GatewayMetrics"]

# Buckets that resolve the runbook's thresholds (10 s, 15 s, 20 s, 30 s) exactly, in scenario seconds.
LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 12.5, 15, 20, 30, 60)
_BREAKER_CODE = {"closed": 0, "open": 1, "half_open": 2, "forced_open": 3, "disabled": 4}


class GatewayMetrics:
    """An Observer that turns request-path events into Prometheus series."""

    def __init__(self, stack: Stack) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # A compressed run's latencies are wall seconds, so are its buckets: the runbook's 10 s is
        # 10 x time_scale here, as it is in the compressed rules a live Prometheus evaluates (and the
        # report divides both back). Fixed buckets would put the compressed threshold between two bounds.
        buckets = tuple(b * stack.config.time_scale for b in LATENCY_BUCKETS_S)
        self.llm_duration = Histogram("llm_request_duration_seconds", "Upstream LLM call duration",
                                      ["provider"], buckets=buckets, registry=r)
        self.llm_requests = Counter("llm_requests_total", "Upstream LLM calls by result",
                                    ["provider", "result"], registry=r)
        self.timeouts = Counter("llm_timeouts_total", "Upstream calls that timed out", ["provider"], registry=r)
        self.rate_limits = Counter("llm_rate_limit_errors_total", "Upstream rate-limit errors (429)",
                                   ["provider"], registry=r)
        self.http_429 = Counter("llm_429_errors_total", "Upstream HTTP 429 answers", ["provider"], registry=r)
        self.conn_errors = Counter("llm_connection_errors_total", "Refused or reset upstream connections",
                                   ["provider"], registry=r)
        self.http_500 = Counter("llm_500_errors_total", "Upstream 5xx answers (500/502/503/529)",
                                ["provider"], registry=r)
        self.agent_duration = Histogram("agent_execution_duration_seconds", "Pipeline agent duration",
                                        ["agent"], buckets=buckets, registry=r)
        self.confidence = Histogram("parsing_confidence", "Parsing confidence per request",
                                    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), registry=r)
        self.parse_requests = Counter("parsing_requests_total", "Parse requests answered", registry=r)
        self.json_errors = Counter("parsing_json_errors_total", "LLM answers that were not the JSON asked for",
                                   registry=r)
        self.validation = Counter("validation_results_total", "Validation verdicts", ["valid"], registry=r)
        self.cache = Counter("llm_cache_requests_total", "Cache lookups by result", ["result"], registry=r)
        self.fallback = Counter("llm_fallback_total", "Answers from the no-LLM regex fallback", registry=r)
        self.responses = Counter("gateway_responses_total", "Gateway answers by endpoint and status",
                                 ["endpoint", "status"], registry=r)
        self.shed = Counter("gateway_shed_total", "Requests the rate-limit queue refused", ["provider"],
                            registry=r)
        self.admission_shed = Counter("gateway_admission_shed_total",
                                      "Requests refused at the in-flight cap (limits.max_in_flight)",
                                      ["endpoint"], registry=r)
        self.cache_errors = Counter("gateway_cache_backend_errors_total",
                                    "Cache backend operations that failed (answered as misses)", registry=r)
        r.register(_StateCollector(stack))
        # Bound children, cached: ``labels()`` validates and locks on every call, and the label
        # sets are small and fixed (providers x results, endpoints x statuses).
        self._children: dict[tuple[object, ...], Any] = {}
        self._create_children(stack.providers)

    def _create_children(self, providers: tuple[str, ...]) -> None:
        """Every labelled child a rule reads, at zero, before the first request.

        A child made on first use is a series that appears with its first increment already in it, and
        Prometheus's ``rate()``/``increase()`` cannot see an increase before a series' first sample: the
        first burst of 429s would be invisible to the alert that should fire on it.
        """
        for p in providers:
            self._child(self.llm_duration, p)
            for result in ("ok", *FailureKind):
                self._child(self.llm_requests, p, str(result))
            for metric in (self.timeouts, self.rate_limits, self.http_429, self.conn_errors, self.http_500,
                           self.shed):
                self._child(metric, p)
        for valid in ("true", "false"):
            self._child(self.validation, valid)
        for result in ("hit", "miss"):
            self._child(self.cache, result)
        self._child(self.agent_duration, "pipeline")

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def count_response(self, endpoint: str, status: int) -> None:
        key = ("responses", endpoint, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.responses.labels(endpoint, str(status))
        child.inc()

    def count_admission_shed(self, endpoint: str) -> None:
        self._child(self.admission_shed, endpoint).inc()

    def watch_service(self, in_flight: Callable[[], int], cache_up: Callable[[], bool]) -> None:
        """Gauges read at scrape time from the service's own state."""
        self.registry.register(_ServiceCollector(in_flight, cache_up))

    # Observer -----------------------------------------------------------------

    def on_call(self, e: CallEvent) -> None:
        p = e.provider
        self._child(self.llm_duration, p).observe(e.latency_s)
        self._child(self.llm_requests, p, e.result).inc()
        if e.status == 429:
            self._child(self.http_429, p).inc()
        kind = e.result
        if kind == FailureKind.TIMEOUT:
            self._child(self.timeouts, p).inc()
        elif kind in (FailureKind.RATE_LIMITED, FailureKind.QUOTA_EXHAUSTED):
            self._child(self.rate_limits, p).inc()
        elif kind in (FailureKind.CONNECTION_REFUSED, FailureKind.CONNECTION_RESET):
            self._child(self.conn_errors, p).inc()
        elif kind in (FailureKind.SERVER_ERROR, FailureKind.OVERLOADED):
            self._child(self.http_500, p).inc()

    def on_state(self, e: StateEvent) -> None:
        if e.kind == "shed":
            self._child(self.shed, str(e.detail.get("provider"))).inc()

    def on_request(self, summary: ParseOutcome) -> None:
        if summary.probe:   # gold probes are not users
            return
        for agent, seconds in summary.agents.items():
            self._child(self.agent_duration, agent).observe(seconds)
        self._child(self.agent_duration, "pipeline").observe(summary.agent_s)
        if summary.status != 200:
            return
        self.parse_requests.inc()
        if summary.confidence is not None:
            self.confidence.observe(summary.confidence)
        if summary.json_error:
            self.json_errors.inc()
        if summary.valid is not None:
            self._child(self.validation, "true" if summary.valid else "false").inc()
        self._child(self.cache, "hit" if summary.cache_hit else "miss").inc()
        if summary.fallback:
            self.fallback.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._stack.clock.now()
        breaker = GaugeMetricFamily(
            "llm_circuit_breaker_state",
            "Breaker state (0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled)", labels=["provider"])
        for name, b in self._stack.breakers.items():
            breaker.add_metric([name], _BREAKER_CODE.get(str(b.state(now)), -1))
        yield breaker
        mode = self._stack.mode_view(now)
        yield GaugeMetricFamily("llm_conservation_mode", "1 while conservation mode is on",
                                value=1.0 if mode.conservation else 0.0)
        yield GaugeMetricFamily("llm_degraded_mode", "1 while the degraded pipeline is on",
                                value=1.0 if mode.degraded else 0.0)
        remaining = GaugeMetricFamily("llm_quota_remaining_requests",
                                      "Requests left in the provider's window, from its headers",
                                      labels=["provider"])
        for name, snap in self._stack.quota.items():
            if snap.remaining_requests is not None:
                remaining.add_metric([name], float(snap.remaining_requests))
        yield remaining
        # The gold probe (issue 13): absent until a probe was judged, so a rule on it reads "no data".
        ratio = self._stack.gold_probe.ratio(now)
        if ratio is not None:
            yield GaugeMetricFamily("parsing_gold_probe_correct_ratio",
                                    "Share of gold probes answered correctly over gold_probe.window", value=ratio)


class _ServiceCollector(Collector):
    def __init__(self, in_flight: Callable[[], int], cache_up: Callable[[], bool]) -> None:
        self._in_flight = in_flight
        self._cache_up = cache_up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("gateway_in_flight_requests", "User requests being answered now",
                                value=float(self._in_flight()))
        yield GaugeMetricFamily("gateway_cache_backend_up",
                                "1 while the cache backend answers; 0 while it is unreachable",
                                value=1.0 if self._cache_up() else 0.0)
