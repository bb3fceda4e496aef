"""Verdicts and the commands around a run: a broken expectation exits 1 and is named as failed in every
report format; ``report`` re-renders with the same verdict; ``compare``, ``schema`` and ``list``."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import CliResult, LiveRuns, explain, llmdrill, short_scenario, write_scenario

pytestmark = [pytest.mark.live, pytest.mark.timeout(900)]

# Not a latency bound: one that tight (1 ms) is refused before the run, since the harness's own overhead
# would decide it (drill/live/compression.py); the short scenario sends qwen far more than 3 calls.
IMPOSSIBLE = "calls(qwen) < 3"
HOLDS = "count(lost) == 0"


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliResult]:
    base = tmp_path_factory.mktemp("broken")
    scenario = write_scenario(base / "broken.yaml", short_scenario("broken-expectation", [HOLDS, IMPOSSIBLE]))
    run_dir = base / "run"
    yield llmdrill(["run", str(scenario), "--out", str(run_dir), "--no-view"], timeout_s=90, run_dir=run_dir)


def _expectation(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [e for e in report["expectations"] if e["name"] == name]
    assert len(found) == 1, f"{name!r} not in {[e['name'] for e in report['expectations']]}"
    expectation: dict[str, Any] = found[0]
    return expectation


def test_broken_expectation_exits_1(broken_run: CliResult) -> None:
    assert broken_run.code == 1, explain(broken_run)
    report = broken_run.report()
    assert report["passed"] is False
    assert _expectation(report, IMPOSSIBLE)["passed"] is False
    assert _expectation(report, HOLDS)["passed"] is True, explain(broken_run)
    assert not report.get("data_problems"), explain(broken_run)   # a verdict, not a harness failure
    assert f"FAIL  {IMPOSSIBLE}" in broken_run.stdout and f"PASS  {HOLDS}" in broken_run.stdout
    assert "verdict: FAILED" in broken_run.stdout
    assert broken_run.elapsed_s < 75, explain(broken_run)


def test_broken_expectation_named_in_junit(broken_run: CliResult) -> None:
    assert broken_run.run_dir is not None
    root = ET.parse(broken_run.run_dir / "junit.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert IMPOSSIBLE in cases and HOLDS in cases, list(cases)
    failure = cases[IMPOSSIBLE].find("failure")
    assert failure is not None, ET.tostring(cases[IMPOSSIBLE], encoding="unicode")
    text = (failure.get("message") or "") + (failure.text or "")
    observed = _expectation(broken_run.report(), IMPOSSIBLE)["observed"]
    assert "observed" in text and str(observed) in text, text
    assert cases[HOLDS].find("failure") is None
    assert int(root.get("failures", "0")) >= 1


def test_broken_expectation_named_in_md_and_html(broken_run: CliResult) -> None:
    assert broken_run.run_dir is not None
    md = (broken_run.run_dir / "report.md").read_text(encoding="utf-8")
    failed_rows = [line for line in md.splitlines() if IMPOSSIBLE in line and "❌" in line]
    assert failed_rows, md[:2000]
    head = "\n".join(md.splitlines()[:4])   # the title and the verdict line under it
    assert "FAILED" in head and "PASSED" not in head, head
    assert not [line for line in md.splitlines() if HOLDS in line and "❌" in line]
    html = (broken_run.run_dir / "report.html").read_text(encoding="utf-8")
    escaped = IMPOSSIBLE.replace("<", "&lt;")
    rows = [row for row in html.split("<tr") if escaped in row or IMPOSSIBLE in row]
    assert rows and any("bad" in row or "❌" in row for row in rows), rows
    assert "FAILED" in html


def _copy_run(run: CliResult, dest: Path) -> Path:
    assert run.run_dir is not None
    shutil.copytree(run.run_dir, dest)
    for rendered in ("report.json", "report.md", "report.html", "junit.xml"):
        (dest / rendered).unlink()
    return dest


def test_report_rerenders_a_failed_run_and_exits_1(broken_run: CliResult, tmp_path: Path) -> None:
    copy = _copy_run(broken_run, tmp_path / "copy")
    again = llmdrill(["report", str(copy)], timeout_s=60, run_dir=copy)
    assert again.code == 1, explain(again)
    original, rerendered = broken_run.report(), again.report()
    assert rerendered["passed"] is False
    assert [(e["name"], e["passed"]) for e in rerendered["expectations"]] == \
        [(e["name"], e["passed"]) for e in original["expectations"]]
    assert rerendered["requests"] == original["requests"]
    assert (copy / "junit.xml").is_file() and (copy / "report.html").is_file()


def test_report_rerenders_a_passing_run_and_exits_0(live_runs: LiveRuns, tmp_path: Path) -> None:
    run = live_runs.get("total-outage")
    copy = _copy_run(run, tmp_path / "copy")
    again = llmdrill(["report", str(copy)], timeout_s=60, run_dir=copy)
    assert again.code == run.code == 0, explain(again) + "\n" + explain(run)
    assert again.report()["requests"] == run.report()["requests"]
    assert "verdict: PASSED" in again.stdout


def test_report_of_nothing_is_bad_input(tmp_path: Path) -> None:
    missing = llmdrill(["report", str(tmp_path / "nowhere")], timeout_s=30)
    assert missing.code == 2 and "nowhere" in missing.stderr and "Traceback" not in missing.stderr, explain(missing)
    empty = llmdrill(["report", str(tmp_path)], timeout_s=30)
    assert empty.code == 2 and "requests.jsonl" in empty.stderr and "Traceback" not in empty.stderr, explain(empty)


def test_compare_names_both_scenarios(live_runs: LiveRuns, broken_run: CliResult) -> None:
    other = live_runs.get("total-outage")
    assert broken_run.run_dir is not None and other.run_dir is not None
    text = llmdrill(["compare", str(broken_run.run_dir), str(other.run_dir)], timeout_s=60)
    assert text.code == 0, explain(text)
    assert "broken-expectation" in text.stdout and "total-outage" in text.stdout, text.stdout
    as_json = llmdrill(["compare", str(broken_run.run_dir), str(other.run_dir), "--json"], timeout_s=60)
    assert as_json.code == 0, explain(as_json)
    blob = json.dumps(json.loads(as_json.stdout))
    assert "broken-expectation" in blob and "total-outage" in blob


def test_schema_prints_valid_json_schema(tmp_path: Path) -> None:
    out = llmdrill(["schema"], timeout_s=30)
    assert out.code == 0, explain(out)
    schema = json.loads(out.stdout)
    assert schema.get("type") == "object" and "properties" in schema, list(schema)
    for key in ("name", "duration", "load", "faults", "expect"):
        assert key in schema["properties"], key
    assert set(schema.get("required", [])) <= set(schema["properties"])
    written = tmp_path / "schema.json"
    to_file = llmdrill(["schema", "--out", str(written)], timeout_s=30)
    assert to_file.code == 0 and json.loads(written.read_text(encoding="utf-8")) == schema


def test_list_names_every_library_file() -> None:
    from scenarios.library import library_dir

    out = llmdrill(["list"], timeout_s=60)
    assert out.code == 0, explain(out)
    listed = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    files = {p.stem for p in library_dir().glob("*.yaml")}
    assert files and files == listed, (files ^ listed)
