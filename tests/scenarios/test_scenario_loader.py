"""Bad scenario files: every one is a clean ScenarioError naming file:line: field, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import Problem, ScenarioError, load_scenario, load_scenario_text

GOOD = """\
name: demo
description: a small valid scenario
duration: 10m
load:
  stages:
    - {until: 2m, rate: 2/s}
    - {until: 10m, rate: 6/s}
faults:
  - {at: 2m, until: 8m, provider: qwen, quota: {rpm: 100, tpm: 60000}}
network:
  - {at: 3m, until: 4m, provider: claude, toxic: latency, latency: 3s, jitter: 500ms}
actions:
  - {at: 6m, admin: {conservation_mode: true}}
expect:
  - count(lost) == 0
"""


def _problems(text: str, name: str = "bad.yaml") -> tuple[Problem, ...]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, name)
    error = info.value
    # the message is exactly the problems, one per line, in file:line: field: message form
    assert str(error).splitlines() == [str(p) for p in error.problems]
    return error.problems


def test_good_file_loads() -> None:
    scenario = load_scenario_text(GOOD, "good.yaml")
    assert scenario.name == "demo"
    assert scenario.duration_s == 600
    assert [s.until_s for s in scenario.load.stages] == [120, 600]
    assert scenario.faults[0].plan_entry() == {
        "at": "2m",
        "until": "8m",
        "provider": "qwen",
        "quota": {"rpm": 100, "tpm": 60000},
    }
    assert scenario.line_of("faults[0]") == 9
    assert scenario.line_of("network[0].latency") == 11
    assert scenario.network[0].index == 1  # numbered after the fault rules


BAD = [
    # (id, text, line, field, message regex)
    ("unknown key", GOOD.replace("duration: 10m", "duraton: 10m"), 3, "duraton", r"did you mean 'duration'"),
    (
        "negative rate",
        GOOD.replace("rate: 2/s", "rate: -2/s"),
        6,
        "load.stages[0].rate",
        r"must not be negative",
    ),
    (
        "until before at",
        GOOD.replace("at: 2m, until: 8m", "at: 8m, until: 2m"),
        9,
        "faults[0].until",
        r"must be after at",
    ),
    (
        "bad provider",
        GOOD.replace("provider: qwen", "provider: qwne"),
        9,
        "faults[0].provider",
        r"did you mean 'qwen'",
    ),
    (
        "bad admin provider",
        GOOD.replace("{conservation_mode: true}", "{provider: claud}"),
        13,
        "actions[0].admin.provider",
        r"did you mean 'claude'",
    ),
    (
        "window past duration",
        GOOD.replace("until: 4m, provider: claude", "until: 11m, provider: claude"),
        11,
        "network[0].until",
        r"past the scenario's duration",
    ),
    (
        "stages not increasing",
        GOOD.replace("until: 10m, rate: 6/s", "until: 1m, rate: 6/s"),
        7,
        "load.stages[1].until",
        r"must increase",
    ),
    (
        "stages end early",
        GOOD.replace("until: 10m, rate: 6/s", "until: 9m, rate: 6/s"),
        7,
        "load.stages[1].until",
        r"must end at the scenario's duration",
    ),
    (
        "closed model",
        GOOD.replace("load:\n", "load:\n  model: closed\n"),
        5,
        "load.model",
        r"coordinated omission",
    ),
    (
        "time scale zero",
        GOOD.replace("duration: 10m", "duration: 10m\ntime_scale: 0"),
        4,
        "time_scale",
        r"\(0, 10\]",
    ),
    (
        "bad duration",
        GOOD.replace("duration: 10m", "duration: ten minutes"),
        3,
        "duration",
        r"expected a duration",
    ),
    (
        "unknown toxic",
        GOOD.replace("toxic: latency", "toxic: latncy"),
        11,
        "network[0].toxic",
        r"did you mean 'latency'",
    ),
    (
        "toxic attribute",
        GOOD.replace("jitter: 500ms", "jiter: 500ms"),
        11,
        "network[0].jiter",
        r"did you mean 'jitter'",
    ),
    (
        "two effects",
        GOOD.replace("quota: {rpm: 100, tpm: 60000}", "connection: refuse, error: {status: 500}"),
        9,
        "faults[0]",
        r"exactly one effect",
    ),
    (
        "missing fault ref",
        GOOD.replace("count(lost) == 0", "alert(x) fires within 60s of fault 5"),
        15,
        "expect[0]",
        r"'fault 5' does not exist",
    ),
    ("bad expectation", GOOD.replace("count(lost) == 0", "p95(latncy) < 10s"), 15, "expect[0]", r"latency"),
    (
        "duplicate key",
        GOOD.replace("duration: 10m", "duration: 10m\nduration: 5m"),
        4,
        "duration",
        r"duplicate",
    ),
    (
        "bad YAML",
        GOOD.replace("{until: 2m, rate: 2/s}", "{until: 2m, rate: 2/s"),
        7,
        "",
        r"YAML syntax error",
    ),
    ("tabs", GOOD.replace("  stages:", "\tstages:"), 5, "", r"tab character"),
    ("list at top", "- name: demo\n- duration: 10m\n", 1, "", r"top level must be a mapping"),
    ("scalar at top", "just words\n", 1, "", r"top level must be a mapping"),
    ("empty", "", 1, "", r"empty"),
    ("only comments", "# nothing here\n", 1, "", r"empty"),
    ("missing load", "name: x\nduration: 10m\n", 1, "load", r"required field is missing"),
    (
        "bad date scalar",
        GOOD.replace("a small valid scenario", "2026-13-45"),
        2,
        "description",
        r"unreadable value",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_names_file_line_and_field(text: str, line: int, field: str, pattern: str) -> None:
    problems = _problems(text)
    matching = [p for p in problems if p.field_path == field and re.search(pattern, p.message)]
    assert matching, f"no problem for {field!r} ~ {pattern!r} in {[str(p) for p in problems]}"
    assert matching[0].line == line
    assert matching[0].file == "bad.yaml"
    prefix = f"bad.yaml:{line}: {field}: " if field else f"bad.yaml:{line}: "
    assert str(matching[0]).startswith(prefix)


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = GOOD.replace("duration: 10m", "duraton: 10m").replace("provider: qwen", "provider: qwne")
    fields = {p.field_path for p in _problems(text)}
    assert {"duraton", "duration", "faults[0].provider"} <= fields


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\nduration: 10m\ndescription: caf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.line == 3
    assert "UTF-8" in problem.message
    assert str(problem).startswith(f"{path}:3: ")


def test_alias_bomb_is_bounded() -> None:
    lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for prev, cur in zip("abcdefg", "bcdefgh", strict=False):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario_text("\n".join(lines) + "\n", "bomb.yaml")


def test_merge_keys_and_extension_fields() -> None:
    text = GOOD.replace(
        "faults:\n", "x-q: &q {provider: qwen}\nfaults:\n  - {<<: *q, at: 1m, error: {status: 500}}\n"
    )
    scenario = load_scenario_text(text, "m.yaml")
    assert scenario.faults[0].provider == "qwen"
    assert scenario.faults[0].plan_entry()["error"] == {"status": 500}


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_arbitrary_text_never_tracebacks(text: str) -> None:
    try:
        load_scenario_text(text, "fuzz.yaml")
    except ScenarioError as error:
        assert all(p.file == "fuzz.yaml" for p in error.problems)


@given(st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_arbitrary_bytes_never_traceback(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ScenarioError as error:
        assert error.problems
