"""``llmdrill export prometheus-rules``: promtool accepts the file, and the alerts fire when they should.

The behaviour tests are promtool unit tests over hand-made series: each rule just over and just under its
threshold, in and out of degradation mode, below ``min_samples``, and the burn-rate windows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from reports.export_prometheus import PROM_QUERIES, duration, render_rule_file, rule_groups
from reports.export_promtool import _seconds_of
from reports.rules import ALL_RULES, RULE_IDS

from .promtool import check_rules, run_rule_tests

ROOT = Path(__file__).resolve().parents[2]


def _export(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "rules.yml"
    done = subprocess.run([sys.executable, "-m", "drill.cli", "export", "prometheus-rules", "--out", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return out


def test_the_exported_file_passes_promtool_check(tmp_path: Path) -> None:
    out = _export(tmp_path)
    done = check_rules(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_stdout_is_the_default(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "drill.cli", "export", "prometheus-rules"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == _export(tmp_path).read_text(encoding="utf-8")


def test_every_runbook_rule_is_an_alert_with_its_threshold() -> None:
    doc = yaml.safe_load(render_rule_file(rule_groups()))
    alerts = {r["labels"]["rule_id"]: r for g in doc["groups"] for r in g["rules"]
              if "alert" in r and "rule_id" in r.get("labels", {})}
    # the runbook's ten, and the alert it lacks (issue 13), exported with the others
    assert sorted(alerts) == sorted([*RULE_IDS, "quality.gold_probe_correctness"])
    assert alerts["quality.gold_probe_correctness"]["expr"].startswith("llmdrill:")
    for rule in ALL_RULES:
        alert = alerts[rule.id]
        assert alert["labels"]["severity"] == rule.severity
        assert f"{rule.comparison} {rule.threshold:g}" in alert["expr"]
        if rule.degraded_threshold is not None:
            assert f"{rule.comparison} {rule.degraded_threshold:g}" in alert["expr"]
    names = {r["alert"] for g in doc["groups"] for r in g["rules"] if "alert" in r}
    assert {"GatewayErrorBudgetBurnFast", "GatewayErrorBudgetBurnSlow", "LLMErrorRateHigh"} <= names


@pytest.mark.parametrize("bad", ["0", "1", "1.5", "-0.2"])
def test_a_bad_slo_objective_is_refused_by_name(bad: str) -> None:
    done = subprocess.run([sys.executable, "-m", "drill.cli", "export", "prometheus-rules", "--slo", bad], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--slo" in done.stderr and "Traceback" not in done.stderr


@given(st.integers(min_value=1, max_value=10 * 86_400_000))
def test_durations_are_exact(ms: int) -> None:
    assert _seconds_of(duration(ms / 1000)) == pytest.approx(ms / 1000, abs=1e-9)


def test_a_non_positive_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        duration(0)


# --- behaviour, through promtool test rules -------------------------------------------------------------

def _labels(rule_id: str, docs: dict[str, Any]) -> dict[str, Any]:
    alert = docs[rule_id]
    return {"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]}


def _alerts_by_rule() -> dict[str, Any]:
    doc = yaml.safe_load(render_rule_file(rule_groups()))
    return {r["labels"].get("rule_id") or r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


def _run_case(tmp_path: Path, series: list[dict[str, str]], checks: list[dict[str, Any]],
              interval: str = "15s", group: str | None = None) -> subprocess.CompletedProcess[str]:
    groups = [g for g in rule_groups() if group is None or g.name == group]
    (tmp_path / "rules.yml").write_text(render_rule_file(groups), encoding="utf-8")
    doc = {"rule_files": ["rules.yml"], "evaluation_interval": interval,
           "tests": [{"interval": interval, "input_series": series, "alert_rule_test": checks}]}
    path = tmp_path / "tests.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return run_rule_tests(path)


def _calls(per_step: int, bad_per_step: int, bad_counter: str, degraded: int = 0,
           steps: int = 40) -> list[dict[str, str]]:
    """``per_step`` calls and ``bad_per_step`` failures (on ``bad_counter``) per 15 s step for ``steps`` steps."""
    return [
        {"series": 'llm_requests_total{provider="qwen",result="ok"}',
         "values": f"0+{per_step - bad_per_step}x{steps}"},
        {"series": f'{bad_counter}{{provider="qwen"}}', "values": f"0+{bad_per_step}x{steps}"},
        {"series": 'llm_requests_total{provider="qwen",result="timeout"}', "values": f"0+{bad_per_step}x{steps}"},
        {"series": "llm_degraded_mode", "values": f"{degraded}x{steps}"},
    ]


@pytest.mark.parametrize(("bad", "degraded", "fires"), [
    (6, 0, True),     # 6 % > 5 %
    (4, 0, False),    # 4 % < 5 %
    (6, 1, False),    # in degradation mode the threshold is 10 %
    (11, 1, True),
])
def test_timeout_rate_and_its_degradation_threshold(tmp_path: Path, bad: int, degraded: int, fires: bool) -> None:
    alerts = _alerts_by_rule()
    series = _calls(100, bad, "llm_timeouts_total", degraded)
    done = _run_case(tmp_path, series, [{"eval_time": "8m", "alertname": PROM_QUERIES["latency.timeout_rate"].alert,
                                         "exp_alerts": [_labels("latency.timeout_rate", alerts)] if fires else []}])
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_expectation_makes_promtool_fail(tmp_path: Path) -> None:
    """The harness of these tests can fail: expecting the alert on a calm series is reported."""
    alerts = _alerts_by_rule()
    done = _run_case(tmp_path, _calls(100, 1, "llm_timeouts_total"),
                     [{"eval_time": "8m", "alertname": PROM_QUERIES["latency.timeout_rate"].alert,
                       "exp_alerts": [_labels("latency.timeout_rate", alerts)]}])
    assert done.returncode != 0


def test_too_few_calls_do_not_fire_a_rate(tmp_path: Path) -> None:
    """min_samples: one timeout in two calls per 5 min is no 50 % timeout rate (the guard needs 20)."""
    series = [
        {"series": 'llm_requests_total{provider="qwen",result="ok"}', "values": "0x20 1x20"},
        {"series": 'llm_timeouts_total{provider="qwen"}', "values": "0x20 1x20"},
        {"series": 'llm_requests_total{provider="qwen",result="timeout"}', "values": "0x20 1x20"},
    ]
    done = _run_case(tmp_path, series, [{"eval_time": "8m", "alertname": PROM_QUERIES["latency.timeout_rate"].alert,
                                         "exp_alerts": []}])
    assert done.returncode == 0, done.stdout + done.stderr


def _histogram(counts_per_step: dict[str, int], steps: int = 40) -> list[dict[str, str]]:
    """Cumulative bucket series of ``llm_request_duration_seconds`` growing by ``counts_per_step`` (le -> n)."""
    return [{"series": f'llm_request_duration_seconds_bucket{{provider="qwen",le="{le}"}}', "values": f"0+{n}x{steps}"}
            for le, n in counts_per_step.items()] + [
        {"series": 'llm_request_duration_seconds_count{provider="qwen"}',
         "values": f"0+{counts_per_step['+Inf']}x{steps}"}]


@pytest.mark.parametrize(("under_10s", "fires"), [(90, True), (97, False)])
def test_llm_p95_is_read_from_the_buckets(tmp_path: Path, under_10s: int, fires: bool) -> None:
    alerts = _alerts_by_rule()
    buckets = {"5.0": under_10s, "10.0": under_10s, "20.0": 100, "+Inf": 100}
    done = _run_case(tmp_path, _histogram(buckets), [{
        "eval_time": "8m", "alertname": PROM_QUERIES["latency.llm_p95"].alert,
        "exp_alerts": [_labels("latency.llm_p95", alerts)] if fires else []}])
    assert done.returncode == 0, done.stdout + done.stderr


def test_connection_error_count_over_one_minute(tmp_path: Path) -> None:
    alerts = _alerts_by_rule()
    # 20 refused connections per 15 s = 80 per minute > 50; then 5 per 15 s = 20 per minute
    series = [{"series": 'llm_connection_errors_total{provider="qwen"}', "values": "0+20x20 400+5x20"}]
    rule = "down.connection_errors_1m"
    done = _run_case(tmp_path, series, [
        {"eval_time": "4m", "alertname": PROM_QUERIES[rule].alert, "exp_alerts": [_labels(rule, alerts)]},
        {"eval_time": "9m", "alertname": PROM_QUERIES[rule].alert, "exp_alerts": []},
    ])
    assert done.returncode == 0, done.stdout + done.stderr


def _answers(errors_per_step: float, steps: int) -> list[dict[str, str]]:
    """2000 answers a (two-minute) step, ``errors_per_step`` of them 503, for ``steps`` steps."""
    return [
        {"series": 'gateway_responses_total{endpoint="parse",status="200"}',
         "values": f"0+{2000 - errors_per_step:g}x{steps}"},
        {"series": 'gateway_responses_total{endpoint="parse",status="503"}',
         "values": f"0+{errors_per_step:g}x{steps}"},
    ]


@pytest.mark.parametrize(("errors_per_min", "fast", "slow"), [
    (20.0, True, True),     # 2 % > 14.4 x 0.1 %: page (and ticket)
    (8.0, True, True),      # 0.8 % > 6 x 0.1 % over 6 h and 30 m: page
    (3.0, False, True),     # 0.3 %: no page, but > 1x over 3 d and 6 h: ticket
    (0.5, False, False),    # 0.05 % is within budget
])
def test_burn_rate_alerts(tmp_path: Path, errors_per_min: float, fast: bool, slow: bool) -> None:
    alerts = _alerts_by_rule()
    steps = 3 * 24 * 30 + 5   # two-minute steps: three days and ten minutes
    done = _run_case(tmp_path, _answers(errors_per_min * 2, steps), [
        {"eval_time": "3d", "alertname": "GatewayErrorBudgetBurnFast",
         "exp_alerts": [_labels("GatewayErrorBudgetBurnFast", alerts)] if fast else []},
        {"eval_time": "3d", "alertname": "GatewayErrorBudgetBurnSlow",
         "exp_alerts": [_labels("GatewayErrorBudgetBurnSlow", alerts)] if slow else []},
    ], interval="2m", group="llmdrill-slo")   # only the SLO group: three days of evaluations
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("with_cache_hits", [False, True])
def test_json_error_rate_fires_without_any_cache_hit_series(tmp_path: Path, with_cache_hits: bool) -> None:
    """Regression: a gateway that never hit its cache has no ``result="hit"`` series; the rate must not vanish."""
    alerts = _alerts_by_rule()
    series = [
        {"series": "parsing_requests_total", "values": "0+100x40"},
        {"series": "parsing_json_errors_total", "values": "0+15x40"},
        {"series": 'llm_cache_requests_total{result="miss"}', "values": "0+100x40"},
    ]
    if with_cache_hits:   # 20 of 120 answers from the cache: 15 errors / 100 LLM answers is still 15 %
        series = [{"series": "parsing_requests_total", "values": "0+120x40"}, series[1], series[2],
                  {"series": 'llm_cache_requests_total{result="hit"}', "values": "0+20x40"}]
    rule = "quality.json_error_rate"
    done = _run_case(tmp_path, series, [{"eval_time": "8m", "alertname": PROM_QUERIES[rule].alert,
                                         "exp_alerts": [_labels(rule, alerts)]}])
    assert done.returncode == 0, done.stdout + done.stderr


def test_compressed_rules_pass_promtool_and_scale_windows_and_latency_only(tmp_path: Path) -> None:
    out = _export(tmp_path, "--time-scale", "0.1")
    assert check_rules(out).returncode == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    exprs = "\n".join(r["expr"] for g in doc["groups"] for r in g["rules"])
    assert "[30s]" in exprs and "[6s]" in exprs and "[5m]" not in exprs   # 5 m and 1 m windows x 0.1
    assert "value30s > 1 unless" in exprs and "value30s > 2 and" in exprs   # p95 10 s / 20 s x 0.1
    assert "value30s > 0.05 unless" in exprs   # a rate stays a rate
    assert "value6s > 50" in exprs              # a count stays a count


def test_compressed_timeout_rule_fires_on_the_compressed_window(tmp_path: Path) -> None:
    """At time_scale 0.1 the 5 m window is 30 s: 6 % timeouts over the last 30 s fire, 4 % do not."""
    for bad, fires in ((6, True), (4, False)):
        groups = rule_groups(time_scale=0.1)
        (tmp_path / "rules.yml").write_text(render_rule_file(groups), encoding="utf-8")
        alert = next(r for g in groups for r in g.rules if r.name == "LLMTimeoutRateHigh")
        doc = {"rule_files": ["rules.yml"], "evaluation_interval": "1s", "tests": [{
            "interval": "1s", "input_series": _calls(100, bad, "llm_timeouts_total", steps=60),
            "alert_rule_test": [{"eval_time": "45s", "alertname": "LLMTimeoutRateHigh", "exp_alerts": [
                {"exp_labels": alert.labels, "exp_annotations": alert.annotations}] if fires else []}]}]}
        path = tmp_path / "tests.yml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        done = run_rule_tests(path)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_bad_time_scale_is_refused_by_name() -> None:
    done = subprocess.run([sys.executable, "-m", "drill.cli", "export", "prometheus-rules", "--time-scale", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "--time-scale" in done.stderr
