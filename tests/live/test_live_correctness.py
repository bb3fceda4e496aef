"""Silent wrong answers, live (issue 13): the unguarded fuzzy cache against the guarded one.

Both library stories, cut to 3 scenario minutes (18 s of load): the hazard's report must say at a glance
that most users got the wrong appointment, at what severity, and that the gold-probe alert (an addition
to the runbook) caught it; the guarded run must say none did.  ``compare`` sets the two side by side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .support import PROJECT_ROOT, CliResult, explain, llmdrill, write_scenario

pytestmark = [pytest.mark.live, pytest.mark.timeout(600)]

GOLD_RULE = "quality.gold_probe_correctness"


def _short(name: str, expect: list[str]) -> dict[str, Any]:
    path = PROJECT_ROOT / "scenarios" / "library" / f"{name}.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(name=f"{name}-short", duration="3m", expect=expect)
    data.pop("phases", None)
    return data


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CliResult]]:
    base = tmp_path_factory.mktemp("correctness")
    out = {}
    for name, expect in (
        ("fuzzy-cache-hazard", [f"alert({GOLD_RULE}) fires", "severity.max >= P2", "count(lost) == 0"]),
        ("fuzzy-cache-guarded", [f"alert({GOLD_RULE}) never fires", "severity.max <= P4", "count(lost) == 0"]),
    ):
        scenario = write_scenario(base / f"{name}.yaml", _short(name, expect))
        run_dir = base / name
        out[name] = llmdrill(["run", str(scenario), "--out", str(run_dir), "--no-view"], timeout_s=150,
                             run_dir=run_dir)
    yield out


def _alert(report: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in report["alerts"] if a["rule"] == GOLD_RULE)
    return found


def test_the_hazard_says_most_users_got_the_wrong_appointment(runs: dict[str, CliResult]) -> None:
    run = runs["fuzzy-cache-hazard"]
    assert run.code == 0, explain(run)
    report = run.report()
    overall = report["correctness"]["overall"]
    assert overall["judged"] > 300 and overall["rate"] < 0.5, report["correctness"]
    assert report["correctness"]["by_source"]["cache"]["rate"] < 0.5
    assert report["correctness"]["gold_probe"]["judged"] >= 5
    assert report["correctness"]["wrong_examples"], "no wrong answer shown"
    alert = _alert(report)
    assert alert["fired"] and alert["origin"] == "addition", alert
    # every answer was a fast 200: by the runbook's letter nothing is wrong, by its users' it is P2 or worse
    assert report["severity"]["max"] in ("P2", "P1") and report["severity"]["reading"] == "wrong_answers"
    assert report["severity"]["other_reading"]["max"] == "none", report["severity"]["other_reading"]
    assert not [a["rule"] for a in report["alerts"] if a["fired"] and a["origin"] == "runbook"]
    assert run.run_dir is not None
    head = "\n".join((run.run_dir / "report.md").read_text(encoding="utf-8").splitlines()[:6])
    assert "wrong appointment" in head and GOLD_RULE in head and ("P2" in head or "P1" in head), head
    assert "correct against gold:" in run.stdout and "reading:" in run.stdout, run.stdout


def test_the_guarded_cache_says_none_did(runs: dict[str, CliResult]) -> None:
    run = runs["fuzzy-cache-guarded"]
    assert run.code == 0, explain(run)
    report = run.report()
    assert report["correctness"]["overall"]["rate"] > 0.99, report["correctness"]
    assert report["correctness"]["gold_probe"]["rate"] == 1.0, report["correctness"]["gold_probe"]
    alert = _alert(report)
    assert alert["status"] == "did not fire", alert
    assert report["severity"]["max"] in ("none", "P4")


def test_compare_shows_correctness_of_both(runs: dict[str, CliResult], tmp_path: Path) -> None:
    dirs = [runs[n].run_dir for n in ("fuzzy-cache-hazard", "fuzzy-cache-guarded")]
    assert all(d is not None for d in dirs)
    done = llmdrill(["compare", *map(str, dirs), "--json"], timeout_s=60)  # type: ignore[arg-type]
    assert done.code == 0, explain(done)
    rows = {r[0]: r for r in json.loads(done.stdout)["rows"]}
    _, hazard, guarded, delta = rows["correct against gold"]
    assert hazard < 0.5 < 0.99 < guarded and delta > 0.4
    assert rows["gold probe correct"][2] == 1.0
