"""The fidelity bar: p50/p95 within 15 %, errors within 2 points, same alerts and severity."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sim.fidelity import judge

LIVE: dict[str, Any] = {
    "latency_s": {"p50": 1.0, "p95": 2.0}, "rates": {"rate(failed)": 0.01}, "severity": {"max": "P4"},
    "alerts": [{"rule": "rate_limit.429_rate", "fired": True, "window_s": 300.0, "time_to_detect_s": {"0": 30.0}},
               {"rule": "latency.llm_p95", "fired": False, "window_s": 300.0, "time_to_detect_s": {"0": None}}],
}


def _failing(sim: dict[str, Any]) -> set[str]:
    return {c.name for c in judge(LIVE, sim) if not c.ok}


def test_identical_reports_agree() -> None:
    assert _failing(copy.deepcopy(LIVE)) == set()


def test_each_figure_past_its_bar_differs() -> None:
    sim = copy.deepcopy(LIVE)
    sim["latency_s"] = {"p50": 1.14, "p95": 2.4}        # +14 % ok, +20 % not
    sim["rates"]["rate(failed)"] = 0.035                # 2.5 points
    sim["severity"]["max"] = "P3"
    sim["alerts"][0]["time_to_detect_s"] = {"0": 331.0}  # more than one 300 s window later
    assert _failing(sim) == {"p95", "error rate", "max severity", "time to detect rate_limit.429_rate (fault 0)"}


def test_a_different_alert_set_differs() -> None:
    sim = copy.deepcopy(LIVE)
    sim["alerts"][1]["fired"] = True
    assert _failing(sim) == {"alerts fired"}


def test_instant_latencies_agree() -> None:
    live = copy.deepcopy(LIVE)
    live["latency_s"]["p50"] = 0.0
    sim = copy.deepcopy(live)
    sim["latency_s"]["p50"] = 0.004
    assert all(c.ok for c in judge(live, sim))


@pytest.mark.parametrize(("argv", "message"), [
    (["no-such-scenario"], "no library scenario 'no-such-scenario'"),
    (["rate-limit-storm", "--gateway-cpu", "-1"], "--gateway-cpu must be in [0, 60)"),
    (["rate-limit-storm", "--time-scale", "20"], "--time-scale must be in (0, 10]"),
    (["provider-down", "--live", "/no/such/run"], "--live /no/such/run: no readable run.json"),
])
def test_bad_input_exits_2_before_any_run(argv: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from drill.fidelity_command import fidelity

    assert fidelity([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
