"""FaultWindow and Phase have one definition, the scenario's, which a report's run.json reads and writes.

run.json keeps its format: a window is written without ``kind``, and a window that ends before it
starts is refused naming the field, as before the two definitions became one.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reports.runinfo
import scenarios
from reports.runinfo import RunInfo, RunInfoError
from scenarios import FaultWindow, Phase, load_scenario_text

SCENARIO = """
name: windows
duration: 10m
load: {rate: 1/s}
faults:
  - {at: 2m, until: 4m, provider: qwen, error: {status: 503}}
  - {at: 5m, provider: claude, latency: {value: 2s}, label: slow claude}
network:
  - {at: 1m, until: 3m, provider: openai, toxic: latency, latency: 1s}
"""


def test_reports_use_the_scenarios_definitions() -> None:
    assert reports.runinfo.FaultWindow is scenarios.FaultWindow
    assert reports.runinfo.Phase is scenarios.Phase


def test_a_scenarios_windows_go_into_run_json_in_its_old_format() -> None:
    scenario = load_scenario_text(SCENARIO)
    windows = scenario.windows()
    assert [(w.index, w.kind, w.end(999.0)) for w in windows] == [(0, "fault", 240.0), (1, "fault", 600.0),
                                                                (2, "network", 180.0)]
    info = RunInfo("windows", duration_s=scenario.duration_s, faults=windows, phases=scenario.phases)
    written = info.to_dict()
    assert [set(f) for f in written["faults"]] == [{"index", "at_s", "until_s", "provider", "label"}] * 3
    assert [set(p) for p in written["phases"]] == [{"name", "at_s", "until_s"}] * len(scenario.phases)
    back = RunInfo.from_dict(written)
    assert [(w.index, w.at_s, w.until_s, w.provider, w.label) for w in back.faults] == [
        (w.index, w.at_s, w.until_s, w.provider, w.label) for w in windows
    ]
    assert back.phases == scenario.phases


def test_a_window_that_ends_before_it_starts_is_named() -> None:
    with pytest.raises(ValueError, match=r"faults\[3\]: until"):
        FaultWindow(3, 10.0, 5.0)
    with pytest.raises(RunInfoError, match=r"faults\[0\]: until"):
        RunInfo.from_dict({"scenario": "x", "faults": [{"index": 0, "at_s": 10.0, "until_s": 5.0}]})


_WINDOWS = st.builds(
    lambda i, at, length, provider: FaultWindow(i, at, None if length is None else at + length, provider),
    st.integers(0, 20),
    st.floats(0, 1e5, allow_nan=False),
    st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
    st.sampled_from(["qwen", "claude", "openai", "*"]),
)
_PHASES = st.builds(
    Phase, st.text(min_size=1, max_size=8), st.floats(0, 1e5, allow_nan=False),
    st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
)


@given(st.lists(_WINDOWS, max_size=5), st.lists(_PHASES, max_size=5), st.floats(0, 1e6, allow_nan=False))
@settings(max_examples=100, deadline=None)
def test_run_json_round_trips_windows_and_phases(
    faults: list[FaultWindow], phases: list[Phase], end: float
) -> None:
    info = RunInfo("p", faults=tuple(faults), phases=tuple(phases))
    back = RunInfo.from_dict(info.to_dict())
    assert back == info
    for window in back.faults:
        assert window.end(end) == (end if window.until_s is None else window.until_s)
