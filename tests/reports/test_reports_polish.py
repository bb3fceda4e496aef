"""Report polish: the per-run plot bucket, sparse percentiles, the minute axis, HTML badges and the
fault-labelled severity band, and the short Markdown with its ``<details>`` block."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.html_timeline import axis, severity_band
from reports.partial import ALL_PLOTS, FEEDS, partial_plots
from reports.plots import PLOTS, render_plots
from reports.records import FAILED, OK, CallRecord, EventRecord, RequestRecord
from reports.report import build_report
from reports.runinfo import FaultWindow, RunInfo
from reports.series import (
    MAX_BUCKETS,
    MIN_MEAN_PER_BUCKET,
    MIN_PERCENTILE_SAMPLES,
    NICE_BUCKETS_S,
    bucket_count,
    build_series,
    choose_bucket,
)
from reports.timeaxis import clock, minute_ticks
from reports.write_html import render_html
from reports.write_json import render_json
from reports.write_markdown import render_markdown


def incident() -> tuple[RunInfo, list[RequestRecord], list[CallRecord], list[EventRecord]]:
    """10 minutes at 5 req/s; in fault 0 [2m, 5m) a third of requests fail (P3)."""
    reqs, calls = [], []
    for i in range(3000):
        t = i * 0.2
        bad = 120 <= t < 300
        reqs.append(RequestRecord(i, t, t, 4.0 if bad else 0.8, FAILED if bad and i % 3 == 0 else OK, attempts=1))
        calls.append(CallRecord(t, "qwen", 0.5, "rate_limited" if bad else "ok", 429 if bad else 200))
    events = [EventRecord(125.0, "breaker", {"provider": "qwen", "to_state": "open"})]
    info = RunInfo(
        "storm",
        "qwen quota runs out",
        "sim",
        42,
        1.0,
        600.0,
        (FaultWindow(0, 120.0, 300.0, "qwen", "quota"),),
        expectations=("alert(rate_limit.429_rate) fires within 30s of fault 0", "severity.max <= P4"),
    )
    return info, reqs, calls, events


def _mean(samples: int, end_s: float, bucket: float) -> float:
    return samples / bucket_count(end_s, bucket)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200_000), st.floats(0.0, 200_000.0, allow_nan=False))
def test_bucket_is_nice_and_full_enough(samples: int, end_s: float) -> None:
    b = choose_bucket(end_s, samples)
    assert b in NICE_BUCKETS_S
    largest = NICE_BUCKETS_S[-1]
    if _mean(samples, end_s, largest) >= MIN_MEAN_PER_BUCKET:
        assert _mean(samples, end_s, b) >= MIN_MEAN_PER_BUCKET
    else:
        assert b == largest  # nothing meets the floor: as coarse as the nice values go
    # and it is the finest such bucket that also keeps the plot within MAX_BUCKETS
    for finer in (s for s in NICE_BUCKETS_S if s < b):
        n = bucket_count(end_s, finer)
        assert _mean(samples, end_s, finer) < MIN_MEAN_PER_BUCKET or n > MAX_BUCKETS


@pytest.mark.parametrize(
    ("samples", "end_s", "expected"),
    [
        (380, 600.0, 60.0),  # the rate-limit storm: ~0.6 req/s of scenario time
        (3000, 600.0, 5.0),  # 5 req/s: 25 per 5 s bucket
        (1200, 600.0, 10.0),  # 2 req/s: 10 per 5 s, 20 per 10 s
        (10, 600.0, 120.0),  # too few for any bucket
        (0, 0.0, 120.0),
    ],
)
def test_bucket_examples(samples: int, end_s: float, expected: float) -> None:
    assert choose_bucket(end_s, samples) == expected


@pytest.mark.parametrize(("end_s", "samples"), [(-1.0, 10), (math.nan, 10), (math.inf, 10), (60.0, -1)])
def test_bucket_rejects_bad_input_by_name(end_s: float, samples: int) -> None:
    with pytest.raises(ValueError, match=r"run length|sample count"):
        choose_bucket(end_s, samples)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 11), max_size=80))
def test_sparse_buckets_have_no_percentile_and_full_ones_do(slots: list[int]) -> None:
    # requests at 5 s steps, 10 s buckets forced: count how many land in each bucket
    reqs = [RequestRecord(i, k * 10.0 + 1.0, k * 10.0 + 1.0, 0.5 + i % 7, OK) for i, k in enumerate(slots)]
    s = build_series(reqs, [], [], 120.0, bucket_s=10.0)
    for k in range(len(s.t_s)):
        n = sum(slot == k for slot in slots)
        for q in ("p50", "p95", "p99"):
            assert (s.latency[q][k] is None) is (n < MIN_PERCENTILE_SAMPLES)


def test_build_series_chooses_the_bucket_per_run() -> None:
    sparse = [RequestRecord(i, i * 2.0, i * 2.0, 1.0, OK) for i in range(300)]  # 600 s, 0.5 req/s
    dense = [RequestRecord(i, i * 0.2, i * 0.2, 1.0, OK) for i in range(3000)]  # 600 s, 5 req/s
    assert build_series(sparse, [], [], 600.0).bucket_s == 60.0
    assert build_series(dense, [], [], 600.0).bucket_s == 5.0


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 100_000.0, allow_nan=False), st.integers(2, 20))
def test_minute_ticks_are_round_and_bounded(end_s: float, max_ticks: int) -> None:
    ticks = minute_ticks(end_s, max_ticks)
    assert ticks[0] == 0.0 and ticks[-1] <= end_s + 1e-9
    assert len(ticks) <= max(max_ticks, 2)
    if len(ticks) > 1:
        step = ticks[1] - ticks[0]
        assert step % 30 == 0
        assert end_s - ticks[-1] < step  # the axis reaches the end of the run


def test_clock_and_bad_ticks() -> None:
    assert [clock(x) for x in (0, 59.6, 165, 3725, -30)] == ["0:00", "1:00", "2:45", "1:02:05", "-0:30"]
    with pytest.raises(ValueError, match="run length"):
        minute_ticks(-5.0)


def test_html_uses_text_badges_not_emoji() -> None:
    report = build_report(*incident())
    html = render_html(report)
    assert not re.search("[\u2705\u274c\U0001f514\u26a0]", html)
    marks = re.findall(r"<span class='badge'[^>]*>(PASS|FAIL)</span>", html)
    assert marks.count("FAIL") == len(report.failed_expectations) == 1
    assert marks.count("PASS") == len(report.expectations) - 1
    assert "FIRED" in html


def test_html_band_labels_the_fault_and_the_minutes() -> None:
    report = build_report(*incident())
    html = render_html(report)
    assert "fault 0: quota (2:00–5:00)" in html
    assert re.search(r"<div class='tl axis'>.*>10 min</span>", html)
    # the P3 windows of the fault sit between 2 and 5 minutes of the 10 minute band
    band = severity_band(report.severity.windows, report.end_s)
    lefts = [float(x) for x in re.findall(r"class='P3' style='left:([\d.]+)%", band)]
    assert lefts and all(20.0 <= x < 50.0 for x in lefts)


def test_axis_of_an_empty_run_is_one_tick() -> None:
    assert axis(0.0).count("<span") == 1


def test_markdown_is_short_and_folds_the_rest() -> None:
    md = render_markdown(build_report(*incident()))
    head, sep, details = md.partition("<details>")
    assert sep and details.rstrip().endswith("</details>")
    assert "### Alerts fired" in head and "`rate_limit.429_rate`" in head
    assert "latency.timeout_rate" not in head and "`latency.timeout_rate`" in details  # quiet: folded
    assert "qwen quota runs out" in details and "qwen quota runs out" not in head
    assert head.count("❌ **FAILED**") == 1 and "FAILED" in md.splitlines()[0]
    assert "1 of 2 expectations failed" in md.splitlines()[2]


def test_plots_render_for_a_run_without_faults_or_breakers() -> None:
    info = RunInfo("calm", duration_s=90.0)
    reqs = [RequestRecord(i, i * 3.0, i * 3.0, 0.2, FAILED if i == 3 else OK) for i in range(30)]
    pngs = render_plots(build_report(info, reqs, [], []))
    assert all(p.startswith(b"\x89PNG") for p in pngs.values()) and "severity.png" in pngs
    info = RunInfo("faulty", duration_s=90.0, faults=(FaultWindow(0, 30.0, None, "qwen", "down"),))
    assert render_plots(build_report(info, reqs, [], [])).keys() == pngs.keys()


def _died(process: str, scenario_t_s: float | None, t_s: float = 40.0) -> dict[str, object]:
    return {"process": process, "pid": 1, "exit_code": -9, "signal": "SIGKILL", "t_s": t_s,
            "scenario_t_s": scenario_t_s, "detail": "", "unknown_after": []}


def test_every_plot_has_its_feeders_named() -> None:
    """``reports.partial`` names the plots without importing matplotlib: its list is the plots' list."""
    assert set(PLOTS) == ALL_PLOTS
    assert all(feeds <= ALL_PLOTS for feeds in FEEDS.values())


def test_a_dead_process_marks_the_plots_it_fed_as_partial_from_its_death() -> None:
    """Regression (issue 12): after a harness failure the plots were drawn as if whole, the silence
    after the death reading as an outage."""
    info = RunInfo("x", duration_s=90.0, time_scale=0.5,
                   harness_failure=(_died("locust-worker0", 50.0), _died("fakes", None, t_s=20.0)))
    partial = partial_plots(info)
    # fakes died first (wall 20 s at scale 0.5 = scenario 40 s); locust feeds cache.png, the fakes do not
    assert partial["latency.png"].from_s == 40.0 and "'fakes'" in partial["latency.png"].why
    assert partial["cache.png"].from_s == 50.0 and "locust-worker0" in partial["cache.png"].why
    assert "breakers.png" not in partial
    assert set(partial_plots(RunInfo("y", harness_failure=(_died("mystery", 5.0),)))) == ALL_PLOTS
    assert partial_plots(RunInfo("z")) == {}


def test_partial_plots_are_drawn_and_said_so() -> None:
    reqs = [RequestRecord(i, i * 3.0, i * 3.0, 0.2, OK, status=200) for i in range(30)]
    whole = build_report(RunInfo("x", duration_s=90.0), reqs, [], [])
    cut = build_report(RunInfo("x", duration_s=90.0, harness_failure=(_died("locust", 45.0),)), reqs, [], [])
    a, b = render_plots(whole), render_plots(cut)
    marked = set(partial_plots(cut.info))
    assert marked and all(a[k] != b[k] for k in marked), "a partial plot was drawn as if whole"
    assert all(a[k] == b[k] for k in set(a) - marked), "a plot the dead process did not feed changed"
    assert "Partial plots" in render_markdown(cut) and "Partial plots" not in render_markdown(whole)
    assert "Partial plots" in render_html(cut, b) and "latency.png from 0.75 min" in render_html(cut, b)
    assert json.loads(render_json(cut))["partial_plots"]["latency.png"]["from_s"] == 45.0
