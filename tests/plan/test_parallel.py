"""The same plan gives the same answer in this process, on a local pool and on a Dask cluster."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from drill.plan.command import plan as plan_command

PLANS = Path(__file__).resolve().parents[2] / "plans"

TINY = f"""\
name: tiny
scenario: {PLANS / "today.yaml"}
seed: 3
target: {{traffic: 3}}
fixed:
  duration: 1m
  outage: {{provider: qwen, at: 10s, for: 40s}}
  quota.openai: 10
sweep:
  traffic: [1, 3]
  quota.claude: [30, 200]
"""


def _table(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.pop("wall_s")   # the only column that depends on where it ran
    return rows


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def in_process(plan_file: Path) -> Path:
    out = plan_file.parent / "one"
    assert plan_command([str(plan_file), "--out", str(out), "--workers", "1"]) == 0
    return out


def test_writes_table_plots_and_recommendation(in_process: Path) -> None:
    rows = _table(in_process)
    assert len(rows) == 4 and all(int(r["requests"]) > 0 for r in rows)
    assert (in_process / "plots" / "traffic.png").stat().st_size > 1000
    assert (in_process / "plots" / "quota-claude.png").stat().st_size > 1000
    text = (in_process / "recommendation.md").read_text(encoding="utf-8")
    assert "Permanent fix the numbers support: automatic failover" in text
    # 30 rpm of Claude plus 10 of OpenAI cannot carry 6 requests/s while Qwen is down
    low = next(r for r in rows if r["traffic"] == "3" and r["quota.claude"] == "{rpm:30}")
    assert low["holds_slo"] == "no" and float(low["error_rate"]) > 0.01
    # the answer as data for `llmdrill plan-check`: no point to check when nothing holds the target
    rec = json.loads((in_process / "recommendation.json").read_text(encoding="utf-8"))
    held = [r for r in rows if r["traffic"] == "3" and r["holds_slo"] == "yes"]
    assert rec["target_traffic"] == 3 and rec["slo"]["p95_s"] == 3.0
    assert (rec["point"] is None) == (not held)
    assert all((in_process / f"point-{int(r['point']):04d}" / "scenario.yaml").is_file() for r in rows)


def test_a_local_pool_gives_the_same_answer(plan_file: Path, in_process: Path) -> None:
    out = plan_file.parent / "pool"
    assert plan_command([str(plan_file), "--out", str(out), "--workers", "2"]) == 0
    assert _table(out) == _table(in_process)
    assert (out / "recommendation.md").read_text() == (in_process / "recommendation.md").read_text()


def test_a_dask_cluster_gives_the_same_answer(plan_file: Path, in_process: Path) -> None:
    import distributed  # a declared dependency: missing, the test fails rather than skips
    # in-process (inproc:// transport, no socket): fits 2 shared cores; two threads run points side by side
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        out = plan_file.parent / "dask"
        assert plan_command([str(plan_file), "--out", str(out), "--cluster", cluster.scheduler_address]) == 0
    assert _table(out) == _table(in_process)
    assert (out / "recommendation.md").read_text() == (in_process / "recommendation.md").read_text()


def test_an_unreachable_cluster_is_a_clear_error(plan_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_command([str(plan_file), "--out", str(tmp_path), "--cluster", "tcp://127.0.0.1:9"]) == 3
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
