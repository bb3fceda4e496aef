"""One library scenario, live, at two time scales: the same incident, so the same verdicts.

``time_scale`` is a change of units (DESIGN.md, "Time compression"): at 0.1 and 0.05 the runs must fire
the same alerts, reach the same maximum severity, and count the same requests, failures, 429s and calls
per scenario minute within Poisson noise. Each run plays at most 60 s of load.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .support import RUN_OVERHEAD_S, CliResult, explain, llmdrill, read_jsonl

pytestmark = [pytest.mark.live, pytest.mark.timeout(600)]

SCENARIO = "rate-limit-storm"   # a quota storm: alerts fire, severity rises, failover moves calls
SCALES = (0.1, 0.05)
MINUTE = 60.0


def _within_noise(a: int, b: int) -> bool:
    return abs(a - b) <= 4 * math.sqrt(a + b) + 2


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[float, CliResult]:
    base = tmp_path_factory.mktemp("time-scales")
    out: dict[float, CliResult] = {}
    for scale in SCALES:   # one after the other: two at once would share the CPU and the send lag
        run_dir = base / f"s{scale:g}"
        wall = _duration_s() * scale
        assert wall <= 60.0, f"{SCENARIO} at {scale} plays {wall:.0f} s of load; keep each run under 60 s"
        out[scale] = llmdrill(["run", SCENARIO, "--time-scale", str(scale), "--out", str(run_dir), "--no-view"],
                              timeout_s=wall + RUN_OVERHEAD_S, run_dir=run_dir)
    return out


def _duration_s() -> float:
    from scenarios.library import find
    from scenarios.loader import load_scenario

    return float(load_scenario(find(SCENARIO)).duration_s)


def _phases() -> list[tuple[str, float, float]]:
    from scenarios.library import find
    from scenarios.loader import load_scenario

    return [(p.name, p.at_s, p.until_s) for p in load_scenario(find(SCENARIO)).phases]


def _counts(run: CliResult, scale: float) -> dict[str, Counter[str]]:
    """Counts per scenario window: requests and all calls per minute; calls by provider and 429s per phase.

    Which provider takes a call, and when a 429 arrives, swing with the breaker: it opens on a run of
    consecutive failures, a threshold that sub-millisecond ordering decides. Per minute those counts
    are not Poisson; over a phase of the incident they are.
    """
    assert run.run_dir is not None
    phases = _phases()
    counts: dict[str, Counter[str]] = {}

    def minute(key: str, t_run_s: float) -> None:
        counts.setdefault(key, Counter())[f"minute {int(t_run_s / scale // MINUTE)}"] += 1

    def phase(key: str, t_run_s: float) -> None:
        t = t_run_s / scale
        name = next((n for n, a, b in phases if a <= t < b), "after the end")
        counts.setdefault(key, Counter())[f"phase {name}"] += 1

    for r in read_jsonl(run.run_dir / "requests.jsonl"):
        if r.get("sent_s") is not None:
            minute("sent", r["intended_s"])
            minute(f"outcome {r['outcome']}", r["intended_s"])
            if r.get("fallback"):
                minute("fallback", r["intended_s"])
    for c in read_jsonl(run.run_dir / "calls.jsonl"):
        minute("calls", c["t_s"])
        phase(f"calls {c['provider']}", c["t_s"])
        if c.get("status") == 429:
            phase("429", c["t_s"])
    return counts


def _fired(report: dict[str, Any]) -> set[str]:
    return {a["rule"] for a in report["alerts"] if a["fired"]}


def test_both_runs_pass(runs: dict[float, CliResult]) -> None:
    for run in runs.values():
        assert run.code == 0, explain(run)


def test_same_alerts_and_same_max_severity(runs: dict[float, CliResult]) -> None:
    reports = {s: run.report() for s, run in runs.items()}
    fired = {s: _fired(r) for s, r in reports.items()}
    assert fired[SCALES[0]] == fired[SCALES[1]], fired
    assert "rate_limit.429_rate" in fired[SCALES[0]]
    severity = {s: r["severity"]["max"] for s, r in reports.items()}
    assert severity[SCALES[0]] == severity[SCALES[1]], severity


def test_counts_per_scenario_window_agree_within_poisson_noise(runs: dict[float, CliResult]) -> None:
    a, b = (_counts(runs[s], s) for s in SCALES)
    assert a["sent"] and a["429"], "the storm sent nothing or met no 429: nothing to compare"
    off = [
        (key, window, a.get(key, Counter())[window], b.get(key, Counter())[window])
        for key in sorted(a.keys() | b.keys())
        for window in sorted(a.get(key, Counter()).keys() | b.get(key, Counter()).keys())
        if not _within_noise(a.get(key, Counter())[window], b.get(key, Counter())[window])
    ]
    assert not off, "counts (key, scenario window, at 0.1, at 0.05) outside 4·sqrt(a+b)+2:\n" + "\n".join(
        map(str, off))


def test_run_json_records_overhead_and_the_safety_figures(runs: dict[float, CliResult]) -> None:
    for scale, run in runs.items():
        assert run.run_dir is not None
        info = json.loads(Path(run.run_dir / "run.json").read_text(encoding="utf-8"))
        assert info["time_scale"] == scale
        assert info["overhead"]["n"] >= 10 and 0 < info["overhead"]["p50_s"] <= info["overhead"]["p99_s"]
        assert info["compression"]["overhead_source"] == "measured" and info["compression"]["safe"]
        assert info["config"]["gateway"]["providers"]["qwen"]["rpm"] == round(150 / scale)


TIGHT = """\
name: tight
description: a latency bound no compressed run can judge honestly once its overhead is measured
duration: 200s
time_scale: 0.1
load: {rate: 0.5/s}
expect:
  - p95(latency) < 100ms
"""


def test_measured_overhead_that_would_distort_the_verdict_stops_the_run_before_its_load(tmp_path: Path) -> None:
    from drill.live.orchestrate import run_live
    from drill.live.plan import make_plan
    from scenarios import load_scenario_text

    # the estimate says safe (0.1 ms ÷ 0.1 against 10 % of 100 ms); the stack's real overhead is larger
    plan = make_plan(load_scenario_text(TIGHT, str(tmp_path / "tight.yaml")), overhead_s=0.0001)
    assert plan.compression.safe
    result = run_live(plan, tmp_path / "run", view=False)
    assert result.harness_error is not None and result.harness_error.startswith("CompressionUnsafe: calibration:")
    assert "smallest safe time_scale" in result.harness_error
    info = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert info["compression"]["overhead_source"] == "measured" and not info["compression"]["safe"]
    assert info["compression"]["before_start"]["safe"] and info["overhead"]["p50_s"] > 0.001
    assert info["compression"]["smallest_safe_time_scale"] > 0.1
    records = tmp_path / "run" / "requests.jsonl"
    assert not records.exists() or not read_jsonl(records), "the load ran although the verdict would be false"
