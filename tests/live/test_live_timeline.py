"""The timeline on the wall clock: a toxic, a proxy taken down and brought up, and an admin pin, live.

One short run (18 s of load at time_scale 0.1) through the real ``llmdrill run``: every step of the
plan is applied by the real proxy and gateway at its planned second, recorded in ``events.jsonl`` in
the fields the twin writes too, and has its effect on the calls the gateway made.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import CliResult, explain, llmdrill, read_jsonl, short_scenario, write_scenario

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

SCALE = 0.1


@pytest.fixture(scope="module")
def timeline_run(tmp_path_factory: pytest.TempPathFactory) -> CliResult:
    base = tmp_path_factory.mktemp("timeline")
    data = short_scenario("timeline", ["count(lost) == 0"])
    data["faults"] = []
    data["stack"] = {"cache": {"enabled": False}}
    data["network"] = [
        {"at": "20s", "until": "1m", "provider": "claude", "toxic": "latency", "latency": "5s", "label": "slow claude"},
        {"at": "1m", "until": "1m30s", "provider": "openai", "toxic": "down", "label": "openai down"},
    ]
    data["actions"] = [{"at": "1m40s", "admin": {"provider": "claude"}},
                       {"at": "2m40s", "admin": {"provider": "auto"}}]
    path = write_scenario(base / "timeline.yaml", data)
    out = base / "run"
    return llmdrill(["run", str(path), "--out", str(out), "--no-view"], timeout_s=240, run_dir=out)


def _run_dir(run: CliResult) -> Path:
    assert run.run_dir is not None
    return run.run_dir


def test_every_step_is_applied_at_its_planned_second_without_error(timeline_run: CliResult) -> None:
    assert timeline_run.code in (0, 1), explain(timeline_run)
    steps = [e for e in read_jsonl(_run_dir(timeline_run) / "events.jsonl")
             if e["kind"] in ("toxic", "action") and "step" in e["detail"]]
    got = [(e["detail"]["step"], e["detail"]["target"], e["detail"]["planned_s"]) for e in steps]
    assert got == [("toxic_add", "claude", 2.0), ("proxy_down", "openai", 6.0), ("toxic_remove", "claude", 6.0),
                   ("proxy_up", "openai", 9.0), ("admin", "gateway", 10.0), ("admin", "gateway", 16.0)], \
        explain(timeline_run)
    assert all("error" not in e["detail"] for e in steps), [e["detail"] for e in steps]
    assert all(0 <= e["t_s"] - e["detail"]["planned_s"] < 1.0 for e in steps)
    assert steps[0]["detail"]["body"]["attributes"] == {"latency": 500, "jitter": 0}   # 5 s × 0.1, in ms
    assert [s["detail"]["body"] for s in steps[4:]] == [{"provider": "claude"}, {"provider": "auto"}]


def test_each_step_had_its_effect_on_the_calls(timeline_run: CliResult) -> None:
    calls = read_jsonl(_run_dir(timeline_run) / "calls.jsonl")
    slow = [c["latency_s"] for c in calls if c["provider"] == "claude" and 2.5 <= c["t_s"] < 5.5]
    fast = [c["latency_s"] for c in calls if c["provider"] == "claude" and (c["t_s"] < 1.5 or 7 <= c["t_s"] < 16)]
    # Claude takes a fifth of 3 req/s: a few calls each side, compared by their medians
    assert slow and fast, (slow, fast)
    assert sorted(slow)[len(slow) // 2] >= 0.5 > sorted(fast)[len(fast) // 2], (slow, fast)
    down = [c for c in calls if c["provider"] == "openai" and 6.5 <= c["t_s"] < 8.5]
    assert all(c["result"] == "connection_refused" for c in down), down
    pinned = [c for c in calls if 10.5 <= c["t_s"] < 15.5]
    assert pinned and all(c["provider"] == "claude" for c in pinned), explain(timeline_run)
