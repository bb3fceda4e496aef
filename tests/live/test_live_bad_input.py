"""Bad input exits 2 with ``file:line: field: message`` on stderr — never a traceback, never a started run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import explain, llmdrill, short_scenario, write_scenario

pytestmark = pytest.mark.live


def _bad_files(tmp: Path) -> dict[str, tuple[Path, int, str, str]]:
    """case -> (file, line of the fault, field, a phrase the message must hold)."""
    unknown = short_scenario("bad-unknown-key", ["count(lost) == 0"])
    unknown["fautls"] = unknown.pop("faults")
    teapot = short_scenario("bad-teapot", ["count(lost) == 0"])
    teapot["faults"] = [{"at": "10s", "provider": "qwen", "error": {"status": 418}}]
    expectation = short_scenario("bad-expectation", ["p95(latency) <<< 1s"])
    cases = {}
    for case, data, field, phrase in (
        ("unknown-key", unknown, "fautls", "did you mean 'faults'"),
        ("fault-effect", teapot, "faults[0].error.status", "418"),
        ("expectation", expectation, "expect[0]", "at column"),
    ):
        path = write_scenario(tmp / f"{case}.yaml", data)
        key = field.split(".")[0].split("[")[0]
        line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                    if text.startswith(f"{key}:"))
        cases[case] = (path, line, field, phrase)
    return cases


CASES = ("unknown-key", "fault-effect", "expectation")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenario_exits_2_naming_file_line_and_field(case: str, command: str, tmp_path: Path) -> None:
    path, line, field, phrase = _bad_files(tmp_path)[case]
    run_dir = tmp_path / "run"
    args = ["run", str(path), "--out", str(run_dir), "--no-view"] if command == "run" else ["validate", str(path)]
    result = llmdrill(args, timeout_s=60, run_dir=run_dir)
    assert result.code == 2, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+): {re.escape(field)}(\S*): (.+)$", re.MULTILINE)
    found = pattern.search(result.stderr)
    assert found is not None, f"no '{path}:LINE: {field}: message' line\n{explain(result)}"
    # the line is the offending entry's (or within its block), never a made-up 0
    assert line <= int(found.group(1)) <= line + 12, (line, found.group(0))
    assert phrase in found.group(3), found.group(0)
    assert not run_dir.exists(), "a bad scenario must be refused before anything starts"


def test_validate_reports_every_bad_file_and_accepts_good_ones(tmp_path: Path) -> None:
    cases = _bad_files(tmp_path)
    good = write_scenario(tmp_path / "good.yaml", short_scenario("good", ["count(lost) == 0"]))
    result = llmdrill(["validate", str(good), *(str(c[0]) for c in cases.values()), "circuit-breaker"],
                      timeout_s=60)
    assert result.code == 2, explain(result)
    assert f"{good}: ok" in result.stdout and "circuit-breaker: ok" in result.stdout, explain(result)
    for path, _, field, _ in cases.values():
        assert f"{path}:" in result.stderr and field in result.stderr, (path, field, result.stderr)
    assert "Traceback" not in result.stderr
    only_good = llmdrill(["validate", str(good)], timeout_s=60)
    assert only_good.code == 0, explain(only_good)


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["run", "no-such-scenario", "--no-view"], "no library scenario 'no-such-scenario'"),
        (["run", "circuit-breaker", "--time-scale", "0", "--no-view"], "--time-scale"),
        (["run", "circuit-breaker", "--workers", "99", "--no-view"], "--workers"),
        (["rn", "circuit-breaker"], "did you mean 'run'"),
        (["validate", "/nonexistent/scenario.yaml"], "/nonexistent/scenario.yaml"),
    ],
)
def test_bad_command_line_exits_2(args: list[str], phrase: str) -> None:
    result = llmdrill(args, timeout_s=60)
    assert result.code == 2, explain(result)
    assert phrase in result.stderr and "Traceback" not in result.stderr, explain(result)


def test_not_yaml_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nload: {model: open, rate: [\n", encoding="utf-8")
    result = llmdrill(["validate", str(path)], timeout_s=60)
    assert result.code == 2, explain(result)
    assert re.search(rf"^{re.escape(str(path))}:\d+: ", result.stderr, re.MULTILINE), explain(result)
    assert "Traceback" not in result.stderr
