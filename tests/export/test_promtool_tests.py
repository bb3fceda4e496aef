"""``promtool test rules`` files from a run: Prometheus and the harness agree on the same incident.

In memory first: provider calls, the counters a scraper would have seen of them, the harness's evaluation
of the calls, and promtool running the exported rules over the counters.  Then the command on a run
directory: its errors, and the same agreement on real live runs (tests/export/test_promtool_live.py).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from reports.evaluate import evaluate
from reports.export_prometheus import render_rule_file, rule_groups
from reports.export_promtool import BORN_IN_WINDOW, PromtoolTests, build_promtool_tests
from reports.promtool_series import _values
from reports.records import CallRecord
from reports.scrapes import Sample, Scrape

from .promtool import run_rule_tests

ROOT = Path(__file__).resolve().parents[2]
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 12.5, 15, 20, 30, 60)   # the gateway's


def _calls(seed: int = 1, end_s: float = 600.0) -> list[CallRecord]:
    """Two calls a second; between 150 s and 350 s, 30 % of them time out after 12 s."""
    rng = random.Random(seed)
    out = []
    t = 0.0
    while t < end_s:
        t += rng.expovariate(2.0)
        if 150 <= t < 350 and rng.random() < 0.3:
            out.append(CallRecord(t, "qwen", 12.0 + rng.random() * 0.01, "timeout"))
        else:
            out.append(CallRecord(t, rng.choice(["qwen", "claude"]), rng.uniform(0.2, 0.6), "ok"))
    return out


def _scrapes(calls: Sequence[CallRecord], interval: float, end_s: float, fail_at: Sequence[int] = ()) -> list[Scrape]:
    """What a scrape every ``interval`` would have read; a labelled child appears with its first observation."""
    out = []
    steps = int(end_s / interval)
    for k in range(steps + 1):
        t = k * interval
        if k in fail_at:
            out.append(Scrape(t + 0.003, error="ConnectError: refused"))
            continue
        seen = [c for c in calls if c.t_s + c.latency_s <= t]
        samples: list[Sample] = []
        for provider in sorted({c.provider for c in seen}):
            mine = [c for c in seen if c.provider == provider]
            for result in sorted({c.result for c in mine}):
                samples.append(Sample("llm_requests_total", {"provider": provider, "result": result},
                                      sum(1 for c in mine if c.result == result)))
            timeouts = sum(1 for c in mine if c.result == "timeout")
            if timeouts:
                samples.append(Sample("llm_timeouts_total", {"provider": provider}, timeouts))
            for le in BUCKETS:
                samples.append(Sample("llm_request_duration_seconds_bucket",
                                      {"provider": provider, "le": repr(float(le))},
                                      sum(1 for c in mine if c.latency_s <= le)))
            samples.append(Sample("llm_request_duration_seconds_bucket", {"provider": provider, "le": "+Inf"},
                                  len(mine)))
            samples.append(Sample("llm_request_duration_seconds_count", {"provider": provider}, len(mine)))
            samples.append(Sample("llm_request_duration_seconds_sum", {"provider": provider},
                                  sum(c.latency_s for c in mine)))
        samples.append(Sample("llm_degraded_mode", {}, 0))
        out.append(Scrape(t + 0.003, tuple(samples)))   # a scrape a few ms after its tick, as a real one is
    return out


def _build(end_s: float = 900.0, fail_at: Sequence[int] = ()) -> tuple[PromtoolTests, str]:
    calls = _calls(end_s=end_s)
    ev = evaluate((), calls, end_s=end_s)
    tests = build_promtool_tests(ev, _scrapes(calls, 5.0, end_s, fail_at), rule_file="rules.yml", name="synthetic")
    rules = render_rule_file(rule_groups(tuple(r.rule for r in ev.rules)))
    return tests, rules


def _save(tmp_path: Path, tests: PromtoolTests, rules: str, text: str | None = None) -> Path:
    (tmp_path / "rules.yml").write_text(rules, encoding="utf-8")
    path = tmp_path / "tests.yml"
    path.write_text(text if text is not None else tests.render("synthetic"), encoding="utf-8")
    return path


def test_prometheus_agrees_with_the_harness_on_a_timeout_incident(tmp_path: Path) -> None:
    tests, rules = _build()
    by_rule = {a.rule_id: a for a in tests.alerts}
    timeouts = by_rule["latency.timeout_rate"]
    firing = [t for t, f in timeouts.checked if f]
    calm = [t for t, f in timeouts.checked if not f]
    # the test means something only if both verdicts are checked, during the incident and outside it
    assert firing and calm, timeouts
    assert min(firing) >= 150 and max(calm) > min(firing)
    # llm_timeouts_total is born with the first timeout (~150 s): Prometheus loses its first increments,
    # so the windows holding that birth are left out, and the file says so
    assert timeouts.skipped_points.get(BORN_IN_WINDOW, 0) > 0
    assert all(not 150 <= t <= 450 for t, _ in timeouts.checked)
    p95 = by_rule["latency.llm_p95"]
    assert p95.skipped_rule is None and any(f for _, f in p95.checked)
    done = run_rule_tests(_save(tmp_path, tests, rules))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_flipped_expectation_fails(tmp_path: Path) -> None:
    """The agreement can fail: the harness's verdict inverted at one firing point is caught by promtool."""
    tests, rules = _build()
    text = tests.render()
    doc = yaml.safe_load(text)
    checks = doc["tests"][0]["alert_rule_test"]
    target = next(c for c in checks if c["alertname"] == "LLMTimeoutRateHigh" and c["exp_alerts"])
    target["exp_alerts"] = []
    done = run_rule_tests(_save(tmp_path, tests, rules, yaml.safe_dump(doc, sort_keys=False)))
    assert done.returncode != 0
    assert "LLMTimeoutRateHigh" in done.stdout + done.stderr


def test_failed_scrapes_are_gaps_and_their_windows_are_not_checked(tmp_path: Path) -> None:
    tests, rules = _build(fail_at=(40, 41))
    series = tests.document["tests"][0]["input_series"]  # type: ignore[index]
    assert all("_" in s["values"] for s in series)
    timeouts = next(a for a in tests.alerts if a.rule_id == "latency.timeout_rate")
    assert timeouts.skipped_points.get("a failed scrape in the window", 0) > 0
    checked = {t for t, _ in timeouts.checked}
    assert not any(205 <= t < 205 + 300 for t in checked)
    assert run_rule_tests(_save(tmp_path, tests, rules)).returncode == 0


def test_a_threshold_between_buckets_skips_the_percentile_rule() -> None:
    calls = _calls()
    ev = evaluate((), calls, end_s=600)
    scrapes = _scrapes(calls, 5.0, 600)
    from reports.scrapes import to_scenario_time

    # the same counters read as a run at time_scale 0.15: 10 s is then no bucket bound (1.5 s is not one)
    compressed = [Scrape(s.t_s * 0.15, s.samples, s.error) for s in scrapes]
    tests = build_promtool_tests(ev, to_scenario_time(compressed, 0.15), rule_file="rules.yml", name="x",
                                 interval_s=5.0)
    p95 = next(a for a in tests.alerts if a.rule_id == "latency.llm_p95")
    assert p95.skipped_rule is not None and "not a bucket bound" in p95.skipped_rule
    assert "LLMRequestLatencyP95High" in tests.render() and "not checked" in tests.render()


def test_the_file_says_why_each_alert_is_left_out() -> None:
    tests, _ = _build()
    text = tests.render("header line")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0] == "# header line"
    for a in tests.alerts:
        assert any(a.alertname in line for line in comments), a.alertname
    validation = next(a for a in tests.alerts if a.rule_id == "quality.validation_fp_rate")
    assert validation.skipped_rule and "different quantities" in validation.skipped_rule


def _expand(text: str) -> list[float | None]:
    """promtool's expanding notation (``a+bxn``, ``axn``, ``_xn``), independently of the writer."""
    out: list[float | None] = []
    for token in text.split():
        # a number is a whole float literal, exponent included ("1.1e-308x2" is 1.1e-308, three times)
        num = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?"
        m = re.fullmatch(rf"(_|-?{num})(?:([+-]{num})?x([0-9]+))?", token)
        assert m is not None, token
        base, step, times = m.groups()
        if times is None:
            out.append(None if base == "_" else float(base))
            continue
        for i in range(int(times) + 1):
            out.append(None if base == "_" else float(base) + (float(step) if step else 0.0) * i)
    return out


@given(st.lists(st.one_of(st.none(), st.integers(0, 5).map(float), st.floats(-3, 1e6, allow_nan=False)), max_size=60))
def test_the_series_notation_round_trips(column: list[float | None]) -> None:
    got = _expand(_values(column))
    assert len(got) == len(column)
    for a, b in zip(got, column, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert a == pytest.approx(b, rel=1e-11, abs=1e-11)


# --- the command ---------------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "drill.cli", "export", "promtool-tests", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_directory_that_is_no_run_is_named(tmp_path: Path) -> None:
    done = _cli(str(tmp_path / "nope"))
    assert done.returncode == 2
    assert "nope" in done.stderr and "Traceback" not in done.stderr


def test_a_run_without_scrapes_is_named(tmp_path: Path) -> None:
    (tmp_path / "requests.jsonl").write_text("", encoding="utf-8")
    done = _cli(str(tmp_path))
    assert done.returncode == 2
    assert "metrics.jsonl: missing" in done.stderr and "Traceback" not in done.stderr


def test_a_run_whose_every_scrape_failed_is_named(tmp_path: Path) -> None:
    (tmp_path / "requests.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "metrics.jsonl").write_text('{"t_s": 0, "error": "ConnectError: refused"}\n'
                                            '{"t_s": 0.5, "error": "ConnectError: refused"}\n', encoding="utf-8")
    done = _cli(str(tmp_path))
    assert done.returncode == 2
    assert "every one of the run's 2 scrapes failed" in done.stderr and "Traceback" not in done.stderr
