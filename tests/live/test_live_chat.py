"""A chat-endpoint scenario end to end: ``llmdrill run chat-rate-limit`` (``load.endpoint: chat``).

The Locust user sends OpenAI chat completions carrying the parsing contract to the gateway's
``/v1/chat/completions``; each answer's JSON is judged against gold; the report's verdicts hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .support import CliResult, explain, llmdrill, read_jsonl

pytestmark = [pytest.mark.live, pytest.mark.timeout(400)]


@pytest.fixture(scope="module")
def chat_run(tmp_path_factory: pytest.TempPathFactory) -> CliResult:
    out = tmp_path_factory.mktemp("chat") / "run"
    return llmdrill(["run", "chat-rate-limit", "--out", str(out), "--no-view"], timeout_s=300, run_dir=out)


def _sample(metrics: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_the_chat_scenario_passes(chat_run: CliResult) -> None:
    assert chat_run.code == 0, explain(chat_run)
    report = chat_run.report()
    assert report["passed"] and report["conservation"]["holds"]
    assert {a["rule"] for a in report["alerts"] if a["fired"]} >= {"rate_limit.429_rate"}


def test_the_load_went_to_the_chat_endpoint(chat_run: CliResult) -> None:
    run_dir = chat_run.run_dir
    assert run_dir is not None
    config = json.loads((run_dir / "logs" / "load" / "load-config.json").read_text(encoding="utf-8"))
    assert (config["endpoint"], config["path"]) == ("chat", "/v1/chat/completions")
    metrics = (run_dir / "gateway-metrics.txt").read_text(encoding="utf-8")
    sent = chat_run.report()["requests"]["sent"]
    chat_ok = _sample(metrics, 'gateway_responses_total{endpoint="chat",status="200"}')
    assert chat_ok >= sent * 0.95, (chat_ok, sent)   # the gateway answered them as chat completions
    assert _sample(metrics, 'gateway_responses_total{endpoint="parse",status="200"}') <= sent * 0.05


def test_every_answer_was_judged_against_gold(chat_run: CliResult) -> None:
    run_dir = chat_run.run_dir
    assert isinstance(run_dir, Path)
    records = read_jsonl(run_dir / "requests.jsonl")
    answered = [r for r in records if r["outcome"] == "ok"]
    assert answered and all(r["correct"] is not None for r in answered)
    assert sum(r["correct"] for r in answered) / len(answered) > 0.95
    # our gateway says who answered in headers: the chat records carry it
    assert {r["provider"] for r in answered if r["provider"]} >= {"qwen", "claude"}
