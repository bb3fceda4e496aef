"""A new expectation metric is one new module of ``scenarios/expectations/metrics``: the registry finds
it, the parser admits it, the formatter gives it its unit and its evaluator is its meaning."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import scenarios.expectations.metrics as metrics_package
from scenarios.expectations import (
    Comparison,
    During,
    ExpectationSyntaxError,
    Metric,
    format_expectation,
    parse_expectation,
)
from scenarios.expectations.measure import Span, Undefined, Where
from scenarios.expectations.metric_def import MetricDef
from scenarios.expectations.metrics import METRICS, discover

NEW_MODULE = '''
from scenarios.expectations.measure import RunView, Span, samples_in
from scenarios.expectations.metric_def import MetricDef


def _p75(arg: str | None, run: RunView, span: Span) -> float | str:
    return samples_in(run, arg, span).percentile(75.0)


METRICS = (MetricDef("p75", ("latency", "agent"), "duration", _p75),)
'''


@dataclass
class _Samples:
    found: list[float]

    @property
    def size(self) -> int:
        return len(self.found)

    def max(self) -> float:
        return max(self.found)

    def mean(self) -> float:
        return sum(self.found) / len(self.found)

    def percentile(self, q: float) -> float:
        # nearest rank is enough here: the fake only has to tell q=75 from other q
        ordered = sorted(self.found)
        return ordered[round(q / 100 * (len(ordered) - 1))]


class _Run:
    """A run of five latencies 1..5 s, in [0, 10]: the columns a metric reads, without ``reports``."""

    def count_requests(self, span: Span, where: Where) -> int:
        return 5

    def count_calls(self, span: Span, provider: str | None) -> int:
        return 0

    def samples(self, quantity: str, span: Span) -> _Samples:
        return _Samples([1.0, 2.0, 3.0, 4.0, 5.0] if quantity == "latency" else [])

    def severity_max(self, span: Span) -> str:
        return "none"


@pytest.fixture
def new_metric(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetricDef]:
    """``p75`` written as one module beside the package's own, discovered, and in the registry."""
    (tmp_path / "percentile_75.py").write_text(NEW_MODULE, encoding="utf-8")
    monkeypatch.setattr(metrics_package, "__path__", [*metrics_package.__path__, str(tmp_path)])
    try:
        found = discover()
        for name, definition in found.items():
            monkeypatch.setitem(METRICS, name, definition)
        yield found["p75"]
    finally:
        sys.modules.pop(f"{metrics_package.__name__}.percentile_75", None)


def test_a_new_metric_module_is_picked_up(new_metric: MetricDef) -> None:
    assert new_metric.name == "p75" and new_metric.takes == ("latency", "agent")
    parsed = parse_expectation("p75(latency) during [0s, 10s] < 4500ms")
    assert parsed == Comparison(Metric("p75", "latency", During(0.0, 10.0)), "<", 4.5)
    text = format_expectation(parsed)
    assert text.endswith("< 4.5s") and parse_expectation(text) == parsed  # its kind gave the value its unit
    assert new_metric.evaluate("latency", _Run(), (0.0, 10.0)) == 4.0
    with pytest.raises(Undefined, match="no agent values"):
        new_metric.evaluate("agent", _Run(), (0.0, 10.0))


def test_without_its_module_the_metric_is_unknown() -> None:
    assert "p75" not in METRICS
    with pytest.raises(ExpectationSyntaxError, match="unknown metric 'p75'"):
        parse_expectation("p75(latency) < 1s")


def test_the_package_declares_every_metric_once_and_discovery_is_stable() -> None:
    assert discover() == METRICS
    assert {"p50", "p95", "rate", "count", "calls", "severity.max"} <= set(METRICS)


def test_a_module_without_metrics_or_a_metric_declared_twice_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = "metric_probe_pkg"
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "a.py").write_text(NEW_MODULE, encoding="utf-8")
    (root / "b.py").write_text(NEW_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ValueError, match="'p75' is declared twice"):
            discover(package)
        (root / "b.py").write_text("X = 1\n", encoding="utf-8")
        sys.modules.pop(f"{package}.b", None)
        with pytest.raises(TypeError, match="declares no METRICS"):
            discover(package)
    finally:
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            sys.modules.pop(name)


def test_a_function_metric_must_take_an_argument() -> None:
    with pytest.raises(ValueError, match="at least one argument"):
        MetricDef("nothing", (), "count", lambda arg, run, span: 0.0)
