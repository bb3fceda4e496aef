"""Issue 9's proof of fidelity against the live stack: the twin beside a live run of the same scenario.

One fidelity comparison, on the library run of provider-down that ``test_live_library`` makes anyway
(``fidelity --live RUN_DIR``), so CI pays for a twin run only.  The other library scenarios' side by
side numbers are in the README ("Capacity planning"): a full ``llmdrill fidelity`` run each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support import CliResult, LiveRuns, explain, llmdrill

pytestmark = [pytest.mark.live, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def provider_down_run(live_runs: LiveRuns) -> CliResult:
    return live_runs.get("provider-down")   # the library run test_live_library reads too (conftest)


def test_the_twin_agrees_with_the_live_provider_down_run(provider_down_run: CliResult, tmp_path: Path) -> None:
    assert provider_down_run.run_dir is not None
    result = llmdrill(["fidelity", "provider-down", "--live", str(provider_down_run.run_dir), "--out",
                       str(tmp_path)], timeout_s=180)
    assert result.code == 0 and "fidelity: FAITHFUL" in result.stdout, explain(result)
    doc = json.loads((tmp_path / "fidelity.json").read_text(encoding="utf-8"))
    names = {c["name"] for c in doc["checks"]}
    assert {"p50", "p95", "error rate", "alerts fired", "max severity"} <= names
    assert all(c["ok"] for c in doc["checks"]), doc["checks"]
    # the twin was charged what this live run measured, and says so
    assert "cache-hit latencies" in doc["twin_costs"] and "cache-hit latencies" in result.stdout
    sim = json.loads((tmp_path / "sim" / "run.json").read_text(encoding="utf-8"))["sim"]
    assert sim["overhead_samples"]["n"] >= 20 and set(sim["call_cost_s"]) == {"qwen", "claude", "openai"}


def test_a_live_run_of_another_scenario_is_refused(provider_down_run: CliResult, tmp_path: Path) -> None:
    assert provider_down_run.run_dir is not None
    result = llmdrill(["fidelity", "rate-limit-storm", "--live", str(provider_down_run.run_dir), "--out",
                       str(tmp_path)], timeout_s=60)
    assert result.code == 2, explain(result)
    assert "a run of 'provider-down' with seed 42, not of 'rate-limit-storm'" in result.stderr
    assert not (tmp_path / "sim").exists()
