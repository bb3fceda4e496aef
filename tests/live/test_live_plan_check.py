"""A plan's recommendation checked live: ``llmdrill plan-check DIR`` on the smallest plan that recommends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support import PROJECT_ROOT, explain, llmdrill

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

# 4 points of one minute over today's traffic; the target (2x) makes the plan recommend a point
TINY = """\
name: tiny-check
scenario: {base}
seed: 3
target: {{traffic: 2}}
fixed:
  duration: 1m
sweep:
  traffic: [1, 2]
  quota.qwen: [{{rpm: 30, tpm: 60000}}, {{rpm: 300, tpm: 600000}}]
"""


def test_the_recommended_point_holds_its_slo_live(tmp_path: Path) -> None:
    plan = tmp_path / "tiny.yaml"
    plan.write_text(TINY.format(base=PROJECT_ROOT / "plans" / "today.yaml"), encoding="utf-8")
    out = tmp_path / "out"
    swept = llmdrill(["plan", str(plan), "--out", str(out), "--workers", "1"], timeout_s=120)
    assert swept.code == 0 and f"llmdrill plan-check {out}" in swept.stdout, explain(swept)
    rec = json.loads((out / "recommendation.json").read_text(encoding="utf-8"))
    assert isinstance(rec["point"], int) and rec["slo"] == {"p95_s": 3.0, "errors": 0.01, "severity": "P4"}
    point = out / f"point-{rec['point']:04d}"

    checked = llmdrill(["plan-check", str(out)], timeout_s=180)
    assert checked.code == 0, explain(checked)
    assert "time_scale 0.1" in checked.stdout and "CONFIRMED" in checked.stdout, explain(checked)
    live = json.loads((point / "live" / "report.json").read_text(encoding="utf-8"))
    assert live["mode"] == "live" and live["requests"]["lost_total"] == 0
    assert live["latency_s"]["p95"] < 3.0 and live["rates"]["rate(failed)"] < 0.01

