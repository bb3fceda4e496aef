"""How each harness rule reads the gateway's Prometheus series: the table ``reports.export_prometheus``
renders alerting rules from, and ``reports.export_promtool`` checks them with.  One entry per rule id,
naming the series ``gateway/service/metrics.py`` exports, and saying where Prometheus and the harness's
evaluator read an incident differently (``note``) or cannot be compared at all (``incomparable``).

Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CALLS", "PROM_QUERIES", "PromQuery", "QueryKind"]

QueryKind = Literal["quantile", "ratio", "increase", "mean", "gauge"]


@dataclass(frozen=True, slots=True)
class PromQuery:
    """How one harness rule reads the gateway's series."""

    alert: str
    kind: QueryKind
    #: quantile/mean: a histogram's base name with an optional selector; increase: a counter selector
    series: str = ""
    numerator: str = ""  # ratio: counter selectors
    denominator: str = ""
    denominator_less: str = ""  # ratio: a counter whose rate is taken off the denominator's
    #: a counter whose increase over the window is the rule's sample count (for ``min_samples``)
    samples: str = ""
    #: where Prometheus and the harness's evaluator read the incident differently
    note: str = ""
    #: why the two cannot be compared at all on a run (promtool tests then leave the alert out)
    incomparable: str = ""


#: every provider call the gateway made (its counter of them)
CALLS = "llm_requests_total"
_EXTRAPOLATES_NOTE = ("increase() extrapolates to the window's edges, so a count that sits exactly at the "
                      "threshold can read just above it in Prometheus.")
_PROBES_NOTE = "The gateway's counters include its health probes; the harness's call records do not."

PROM_QUERIES: dict[str, PromQuery] = {
    "latency.llm_p95": PromQuery(
        "LLMRequestLatencyP95High", "quantile", series="llm_request_duration_seconds",
        samples="llm_request_duration_seconds_count",
        note="histogram_quantile interpolates within buckets; the harness takes the exact p95 of raw "
             "latencies. They agree on which side of the threshold the p95 is when the threshold is a "
             "bucket boundary. " + _PROBES_NOTE),
    "latency.timeout_rate": PromQuery(
        "LLMTimeoutRateHigh", "ratio", numerator="llm_timeouts_total", denominator=CALLS, samples=CALLS,
        note=_PROBES_NOTE),
    "latency.agent_p95": PromQuery(
        "AgentExecutionP95High", "quantile", series='agent_execution_duration_seconds{agent="pipeline"}',
        samples='agent_execution_duration_seconds_count{agent="pipeline"}',
        note="histogram_quantile interpolates within buckets; the harness takes the exact p95 of the "
             "agent_s its clients saw."),
    "quality.confidence_avg": PromQuery(
        "ParsingConfidenceLow", "mean", series="parsing_confidence", samples="parsing_confidence_count",
        note="the gateway observes the confidence of every 200 answer it sent; the harness, of every "
             "answer its clients received."),
    "quality.json_error_rate": PromQuery(
        "ParsingJSONErrorRateHigh", "ratio", numerator="parsing_json_errors_total",
        denominator="parsing_requests_total", denominator_less='llm_cache_requests_total{result="hit"}',
        samples="parsing_requests_total",
        note="the harness counts only answers that asked an LLM; here a cache hit is taken off the "
             "denominator, which is the same thing unless an answer came from the fallback without any "
             "attempt."),
    "quality.validation_fp_rate": PromQuery(
        "ValidationFalsePositiveRateHigh", "ratio", numerator='validation_results_total{valid="false"}',
        denominator="validation_results_total", samples="validation_results_total",
        note="the gateway cannot tell a false positive from a right rejection (only the harness knows the "
             "gold), so this fires on the rejection rate, an upper bound of the false-positive rate.",
        incomparable="the gateway counts every rejection, the harness only the rejections of requests whose "
                     "gold is valid: different quantities"),
    "rate_limit.errors_5m": PromQuery(
        "LLMRateLimitErrors", "increase", series="llm_rate_limit_errors_total",
        note=_EXTRAPOLATES_NOTE),
    "rate_limit.429_rate": PromQuery(
        "LLM429RateHigh", "ratio", numerator="llm_rate_limit_errors_total", denominator=CALLS, samples=CALLS,
        note=_PROBES_NOTE),
    "down.connection_errors_1m": PromQuery(
        "LLMConnectionErrors", "increase", series="llm_connection_errors_total",
        note=_EXTRAPOLATES_NOTE),
    "down.500_rate": PromQuery(
        "LLM500RateHigh", "ratio", numerator="llm_500_errors_total", denominator=CALLS, samples=CALLS,
        note=_PROBES_NOTE),
    # the addition to the runbook (issue 13): the gauge is already the share over the gateway's own
    # gold_probe.window, so no range function; it is absent until a probe was judged ("no data")
    "quality.gold_probe_correctness": PromQuery(
        "GoldProbeCorrectnessLow", "gauge", series="parsing_gold_probe_correct_ratio",
        note="the gateway's gauge covers its own gold_probe.window and has no sample count, so it can fire "
             "on the first wrong probe where the harness waits for 5 judged probes.",
        incomparable="the gauge is the share over the gateway's own window with no sample minimum (probes "
                     "before t=0 included); the harness judges probe events over 5 scenario minutes, 5 at least"),
}
