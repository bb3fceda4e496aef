"""``llmdrill diagnose`` against real fake providers, one fault type at a time: it names the right type."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from drill.gameday.diagnose_cmd import main
from drill.gameday.diagnosis import EXIT_CODES, diagnose
from drill.gameday.probes import run_probes
from drill.supervisor import Supervisor

# The fakes' own latency is a lognormal around 0.6 s; a constant 20 ms keeps the no-fault case far
# from any threshold, so only the injected fault decides.
BASELINE = "20ms"


@pytest.fixture(scope="module")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with Supervisor(tmp_path_factory.mktemp("diag-logs"), handle_signals=False) as sup:
        proc = sup.start("fakes", [sys.executable, "-m", "drill.cli", "fake-providers"])
        assert proc.address is not None
        yield json.loads(proc.address)


def _plan(fakes: dict[str, str], faults: list[dict[str, Any]]) -> None:
    for url in fakes.values():
        deadline = time.monotonic() + 10
        while True:   # a refused-connection fault closes the listener until its window ends
            try:
                httpx.post(url + "/_control/reset", timeout=5)
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        r = httpx.put(url + "/_control/faults", json={"faults": faults, "baseline": BASELINE}, timeout=5)
        assert r.status_code == 200, r.text


CASES = [
    # (fault rule on every provider, time_scale, per-probe timeout, the type diagnose must name)
    ({"latency": {"dist": "constant", "value": "3s"}}, 0.2, 10.0, "latency"),        # p95 3 s > 10 s × 0.2
    # a hung provider: every probe times out, and the fake's /health says it is down — both are true
    # (see test_a_hang_is_down_by_its_health_and_latency_by_its_timeouts)
    ({"connection": "hang"}, 1.0, 1.0, "down+latency"),
    # a provider that hangs on some calls only still says it is up: slow, not down
    ({"connection": "hang", "probability": 0.5}, 1.0, 1.0, "latency"),
    ({"error": {"status": 500}}, 1.0, 10.0, "down"),
    ({"error": {"status": 529}}, 1.0, 10.0, "down"),
    ({"connection": "reset"}, 1.0, 10.0, "down"),
    ({"error": {"status": 429, "code": "rate_limit_exceeded", "retry_after": "1s"}}, 1.0, 10.0, "rate_limit"),
    ({"error": {"status": 429, "code": "insufficient_quota"}}, 1.0, 10.0, "rate_limit"),
    ({"quota": {"rpm": 5}}, 1.0, 10.0, "rate_limit"),
    ({"bad_json": "prose"}, 1.0, 10.0, "quality"),
    ({"bad_json": "truncated"}, 1.0, 10.0, "quality"),
    ({"quality": {"confidence": 0.5}}, 1.0, 10.0, "quality"),
    ({"quality": {"wrong_entity_rate": 0.6}}, 1.0, 10.0, "quality"),
]


@pytest.mark.parametrize(("rule", "scale", "timeout", "kind"), CASES,
                         ids=[f"{next(iter(c[0]))}-{json.dumps(next(iter(c[0].values())))}" for c in CASES])
def test_names_the_degradation_type_of_each_fault(fakes: dict[str, str], rule: dict[str, Any], scale: float,
                                                  timeout: float, kind: str) -> None:
    _plan(fakes, [{"provider": "*", **rule}])
    d = diagnose(run_probes(fakes, None, timeout_s=timeout), scale)
    assert d.types == tuple(kind.split("+")), [s.findings for s in d.steps]
    step = next(s for s in d.steps if s.points_to is not None)
    assert step.mitigations, "a degraded step names the runbook's mitigations"
    assert d.severity != "none" and d.exit_code == EXIT_CODES[d.severity] != 0


def test_healthy_fakes_are_diagnosed_healthy_exit_0(fakes: dict[str, str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _plan(fakes, [])
    assert main(["--providers", ",".join(f"{k}={v}" for k, v in fakes.items())]) == 0
    out = capsys.readouterr().out
    for title in ("Verificar Estado del Proveedor", "Medir Latencia Actual", "Verificar Calidad de Respuestas",
                  "Verificar Cuotas y Rate Limits"):
        assert title in out
    assert "severity: none" in out


def test_cli_exit_code_follows_severity_and_json_names_type(fakes: dict[str, str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _plan(fakes, [{"provider": "*", "error": {"status": 503}}])
    code = main(["--providers", json.dumps(fakes), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["types"] == ["down"]
    assert doc["severity"] == "P1" and code == 11
    assert any("Failover" in m["title"] for s in doc["steps"] for m in s["mitigations"])


@pytest.mark.parametrize(("argv", "message"), [
    ([], "nothing to diagnose"),
    (["--providers", "qwen"], "expected NAME=URL"),
    (["--providers", "gemini=http://127.0.0.1:1"], "unknown provider 'gemini'"),
    (["--providers", "qwen=ftp://x"], "not an http(s) URL"),
    (["--providers", "qwen=http://10.1.2.3:80"], "not a loopback address"),
    (["--gateway", "http://127.0.0.1:1", "--timeout", "soon"], "--timeout"),
    (["--gateway", "http://127.0.0.1:1", "--time-scale", "0"], "--time-scale"),
    (["--gameday", "/nonexistent/dir"], "no such directory"),
])
def test_bad_input_is_a_clear_error_and_exit_2(argv: list[str], message: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_refused_connections_point_to_service_down_and_p1(fakes: dict[str, str]) -> None:
    _plan(fakes, [{"provider": "qwen", "until": "4s", "connection": "refuse"}])
    d = diagnose(run_probes({"qwen": fakes["qwen"]}, None, timeout_s=5))
    assert d.types == ("down",)
    assert d.severity == "P1" and d.exit_code == 11
    assert "unreachable" in d.steps[0].findings[0]


def test_a_hang_is_down_by_its_health_and_latency_by_its_timeouts(fakes: dict[str, str]) -> None:
    """A provider that hangs every call is two runbook types at once, each from its own step.

    Paso 1 reads the provider's health, which says it is down (every request fails: "Servicio Down").
    Paso 2 sees every probe time out, which is Latencia Alta's own alert (``llm_timeout_rate > 5%``),
    and the alert the report and the dashboard fire for the same fault (``latency.timeout_rate``).
    Naming only one would contradict either the provider's health or the dashboard.
    """
    _plan(fakes, [{"provider": "*", "connection": "hang"}])
    d = diagnose(run_probes({"qwen": fakes["qwen"]}, None, timeout_s=1.0))
    health, latency = d.steps[0], d.steps[1]
    assert health.points_to is not None and health.points_to.id == "down"
    assert any("/health answered 503" in f for f in health.findings), health.findings
    assert latency.points_to is not None and latency.points_to.id == "latency"
    assert any("timeouts 10/10" in f for f in latency.findings), latency.findings
    assert d.severity == "P1"
