"""The gateway service end to end (ASGI in process) against scripted providers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from gateway.config import load_config
from gateway.outcomes import ChatRequest, Completion, FailureKind, ProviderFailure

from .conftest import answer, failing, parse_body, serve

RUNBOOK_METRICS = (
    "llm_request_duration_seconds", "agent_execution_duration_seconds", "llm_timeouts_total",
    "llm_rate_limit_errors_total", "llm_429_errors_total", "llm_connection_errors_total", "llm_500_errors_total",
    "parsing_confidence", "parsing_json_errors_total", "validation_results_total", "llm_cache_requests_total",
    "llm_circuit_breaker_state", "llm_conservation_mode", "llm_degraded_mode", "llm_fallback_total",
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_headline_request_answers_contact_time_and_tomorrow() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            r = await client.post("/v1/appointments/parse", json=parse_body())
            assert r.status_code == 200
            body = r.json()
            assert body["entities"]["contacto"] == "Dr. Pérez"
            assert body["entities"]["hora"]["resolved"] == "10:00"
            assert body["entities"]["fecha"]["resolved"] == "2026-01-23"
            assert body["meta"]["provider"] in ("qwen", "claude", "openai")
            assert r.headers["x-llmdrill-cache"] == "miss"
            assert r.headers["x-llmdrill-fallback"] == "0"
    run(go())


def test_failover_when_the_primary_fails() -> None:
    async def go() -> None:
        async with serve({"cache": {"enabled": False}},
                         behaviours={"qwen": failing(FailureKind.SERVER_ERROR)}) as (client, _, clients):
            answered_by = set()
            for i in range(30):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita mañana 10am con Dr. Pérez {i}"))
                assert r.status_code == 200
                assert r.headers["x-llmdrill-fallback"] == "0"
                answered_by.add(r.headers["x-llmdrill-provider"])
            assert answered_by <= {"claude", "openai"} and answered_by
            # the breaker stops the bleeding: qwen is tried at most its threshold before it opens
            assert len(clients["qwen"].calls) <= 5
    run(go())


def test_breaker_opens_after_exactly_five_failures_and_recovers() -> None:
    healthy = {"ok": False}

    def qwen(name: str, req: ChatRequest) -> Completion | FailureKind:
        return answer(name, req) if healthy["ok"] else FailureKind.SERVER_ERROR

    overrides = {"time_scale": 0.005,   # recovery 60 s -> 0.3 s
                 "cache": {"enabled": False}, "degraded": {"enabled": True},
                 # rpm stays a rate at any time_scale: 100 rpm over a 0.3 s window is 1 call; lift it
                 "providers": {"qwen": {"rpm": None, "tpm": None},
                               "claude": {"enabled": False}, "openai": {"enabled": False}},
                 "retries": {"max": 0}}
    async def go() -> None:
        async with serve(overrides, behaviours={"qwen": qwen}) as (client, _, clients):
            for i in range(12):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am con Dr. Pérez"))
                assert r.status_code == 200 and r.headers["x-llmdrill-fallback"] == "1"
            assert len(clients["qwen"].calls) == 5, "trips on exactly the 5th consecutive failure"
            metrics = (await client.get("/metrics")).text
            assert 'llm_circuit_breaker_state{provider="qwen"} 1.0' in metrics
            healthy["ok"] = True
            await asyncio.sleep(0.35)
            for i in range(5):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"otra {i} mañana 10am con Dr. Pérez"))
                assert r.status_code == 200
            assert r.headers["x-llmdrill-fallback"] == "0"
            states = (await client.get("/admin/config")).json()["breakers"]
            assert states["qwen"] == "closed"
    run(go())


def test_shedding_answers_429_with_retry_after() -> None:
    overrides = {"providers": {"qwen": {"weight": 1.0, "rpm": 2}, "claude": {"enabled": False},
                               "openai": {"enabled": False}},
                 "queue": {"max_depth": 0, "max_wait": "1s"}, "cache": {"enabled": False},
                 "degraded": {"enabled": True}}
    async def go() -> None:
        async with serve(overrides) as (client, _, clients):
            statuses = []
            for i in range(5):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am con Dr. Pérez"))
                statuses.append(r.status_code)
                if r.status_code == 429:
                    assert int(r.headers["retry-after"]) >= 1
                    assert r.json()["error"]["type"] == "overloaded"
            assert statuses[:2] == [200, 200]
            assert statuses[2:] == [429, 429, 429]
            assert len(clients["qwen"].calls) == 2
    run(go())


def _upstream_calls_for(mode_on: bool) -> tuple[int, set[int]]:
    overrides = {"time_scale": 0.001,   # TTL 300 s -> 0.3 s normal; 3600 s -> 3.6 s in conservation
                 "conservation": {"enabled": mode_on}, "degraded": {"enabled": True}}
    async def go() -> tuple[int, set[int]]:
        async with serve(overrides) as (client, _, clients):
            deadline = time.monotonic() + 1.5
            i = 0
            while time.monotonic() < deadline:
                prompt = f"cita {i % 4} mañana 10am con Dr. Pérez"
                r = await client.post("/v1/appointments/parse", json=parse_body(prompt))
                assert r.status_code == 200
                i += 1
                await asyncio.sleep(0.02)
            calls = [c for cl in clients.values() for c in cl.calls]
            return len(calls), {c.max_tokens for c in calls}
    result: tuple[int, set[int]] = run(go())
    return result


def test_conservation_mode_cuts_upstream_calls_at_least_in_half() -> None:
    normal, normal_tokens = _upstream_calls_for(False)
    conserving, conserving_tokens = _upstream_calls_for(True)
    assert normal_tokens == {500} and conserving_tokens == {100}
    assert conserving <= 0.5 * normal, (conserving, normal)


def test_degraded_mode_skips_geo_availability_and_negotiation() -> None:
    async def go() -> None:
        async with serve() as (client, _, clients):
            prompt = "cita mañana 10am con Dr. Pérez en Polanco"
            full = (await client.post("/v1/appointments/parse", json=parse_body(prompt))).json()
            assert set(full["meta"]["agents"]) == {"parsing", "temporal", "geo", "validation", "availability",
                                                    "negotiation"}
            r = await client.put("/admin/config", json={"degraded_mode": True})
            assert r.status_code == 200 and r.json()["degraded_mode"] is True
            before = sum(len(c.calls) for c in clients.values())
            deg = await client.post("/v1/appointments/parse", json=parse_body("cita pasado mañana 3pm con Dra. Núñez"))
            body = deg.json()
            assert set(body["meta"]["agents"]) == {"parsing", "temporal", "validation"}
            assert "negotiation" not in body and "geo" not in body and "availability" not in body
            assert deg.headers["x-llmdrill-degraded"] == "1"
            assert sum(len(c.calls) for c in clients.values()) - before == 1   # parsing only
    run(go())


def test_metrics_use_the_runbook_names() -> None:
    async def go() -> None:
        async with serve(behaviours={"openai": failing(FailureKind.RATE_LIMITED)}) as (client, _, _):
            for i in range(5):
                await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am con Dr. Pérez"))
            text = (await client.get("/metrics")).text
            for name in RUNBOOK_METRICS:
                assert f"# TYPE {name} " in text, name
    run(go())


def test_every_series_a_rule_reads_exists_at_zero_before_the_first_request() -> None:
    """A child made on its first increment hides that increment from rate()/increase() (the first 429
    burst of a storm went unseen by a real Prometheus)."""
    async def go() -> None:
        async with serve() as (client, _, _):
            text = (await client.get("/metrics")).text
            for provider in ("qwen", "claude", "openai"):
                for series in ("llm_rate_limit_errors_total", "llm_429_errors_total", "llm_timeouts_total",
                               "llm_connection_errors_total", "llm_500_errors_total"):
                    assert f'{series}{{provider="{provider}"}} 0.0' in text, (series, provider)
                for result in ("ok", *FailureKind):
                    line = f'llm_requests_total{{provider="{provider}",result="{result}"}} 0.0'
                    assert line in text, line
                assert f'llm_request_duration_seconds_count{{provider="{provider}"}} 0.0' in text
            assert 'validation_results_total{valid="false"} 0.0' in text
            assert 'llm_cache_requests_total{result="hit"} 0.0' in text
    run(go())


def test_latency_buckets_are_compressed_with_the_run_and_read_back_in_scenario_seconds() -> None:
    """At time_scale 0.1 the runbook's 10 s threshold is 1 wall second: it must be a bucket bound there,
    and the scrape's bounds on the scenario time base must be the runbook's."""
    from gateway.service.metrics import LATENCY_BUCKETS_S
    from reports.scrapes import Sample, Scrape, to_scenario_time

    async def go() -> None:
        async with serve({"time_scale": 0.1}) as (client, _, _):
            text = (await client.get("/metrics")).text
        les = sorted({float(line.split('le="', 1)[1].split('"', 1)[0])
                      for line in text.splitlines()
                      if line.startswith("llm_request_duration_seconds_bucket{") and 'le="+Inf"' not in line})
        assert les == sorted(b * 0.1 for b in LATENCY_BUCKETS_S)
        back = to_scenario_time([Scrape(1.0, tuple(Sample("llm_request_duration_seconds_bucket", {"le": repr(le)}, 0)
                                                    for le in les))], 0.1)[0]
        assert sorted(float(x.labels["le"]) for x in back.samples) == sorted(float(b) for b in LATENCY_BUCKETS_S)
    run(go())


def test_admin_switches_the_provider() -> None:
    async def go() -> None:
        async with serve({"cache": {"enabled": False}}) as (client, _, clients):
            r = await client.put("/admin/config", json={"provider": "openai"})
            assert r.json()["provider"] == "openai"
            before = {n: len(c.calls) for n, c in clients.items()}
            for i in range(10):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am con Dr. Pérez"))
                assert r.headers["x-llmdrill-provider"] == "openai"
            assert len(clients["qwen"].calls) == before["qwen"]
            assert len(clients["claude"].calls) == before["claude"]
            r = await client.put("/admin/config", json={"provider": "auto"})
            assert r.json()["provider"] == "auto"
            bad = await client.put("/admin/config", json={"provider": "gemini"})
            assert bad.status_code == 400 and bad.json()["error"]["field"] == "provider"
            bad = await client.put("/admin/config", json={"conservation": True})
            assert bad.status_code == 400 and bad.json()["error"]["field"] == "conservation"
    run(go())


def test_admin_needs_the_bearer_token_when_one_is_set() -> None:
    async def go() -> None:
        async with serve({"admin_token": "s3cret"}) as (client, _, _):
            assert (await client.get("/admin/config")).status_code == 401
            ok = await client.get("/admin/config", headers={"authorization": "Bearer s3cret"})
            assert ok.status_code == 200
        async with serve(require_admin_token=True) as (client, _, _):
            assert (await client.get("/admin/config")).status_code == 403
    run(go())


def test_llm_provider_environment_variable_is_honoured() -> None:
    config = load_config(environ={"LLM_PROVIDER": "claude"})
    assert config.provider == "claude"

    async def go() -> None:
        async with serve({"provider": "claude", "cache": {"enabled": False}}) as (client, _, _):
            for i in range(5):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am con Dr. Pérez"))
                assert r.headers["x-llmdrill-provider"] == "claude"
    run(go())


def test_bad_input_is_a_clear_4xx() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            cases = [
                (b"not json", 400, "(body)"),
                (b"\xff\xfe\x00", 400, "(body)"),
                (json.dumps({"prompt": ""}).encode(), 400, "prompt"),
                (json.dumps({"prompt": 3}).encode(), 400, "prompt"),
                (json.dumps([1, 2]).encode(), 400, "(body)"),
                (json.dumps({"prompt": "x" * 30_000}).encode(), 413, "prompt"),
                (json.dumps({"prompt": "cita", "reference_date": "22/01/2026"}).encode(), 400, "reference_date"),
                (b"{" + b" " * (2 << 20) + b"}", 413, "(body)"),
            ]
            for raw, status, field in cases:
                r = await client.post("/v1/appointments/parse", content=raw,
                                      headers={"content-type": "application/json"})
                assert r.status_code == status, raw[:40]
                assert r.json()["error"]["field"] == field
            chat = await client.post("/v1/chat/completions", json={"messages": []})
            assert chat.status_code == 400 and chat.json()["error"]["param"] == "messages"
    run(go())


def test_provider_answers_that_are_not_json_fall_back_and_count() -> None:
    def prose(name: str, req: ChatRequest) -> Completion:
        return Completion(name, "m", "Claro, aquí tienes la cita: mañana a las 10.")

    async def go() -> None:
        async with serve({"cache": {"enabled": False}},
                         behaviours={n: prose for n in ("qwen", "claude", "openai")}) as (client, _, _):
            r = await client.post("/v1/appointments/parse", json=parse_body())
            body = r.json()
            assert r.status_code == 200 and body["meta"]["json_error"] is True and body["meta"]["fallback"] is True
            assert body["confidence"] == 0.6
            assert body["entities"]["contacto"] == "Dr. Pérez"
            text = (await client.get("/metrics")).text
            assert "parsing_json_errors_total 1.0" in text
    run(go())


def test_permanent_quota_errors_are_not_retried_on_that_provider() -> None:
    def spent(name: str, req: ChatRequest) -> ProviderFailure:
        return ProviderFailure(name, FailureKind.QUOTA_EXHAUSTED, "insufficient_quota", 429)

    async def go() -> None:
        async with serve({"cache": {"enabled": False}, "degraded": {"enabled": True}},
                         behaviours={"qwen": spent, "claude": spent, "openai": spent}) as (client, _, clients):
            r = await client.post("/v1/appointments/parse", json=parse_body())
            assert r.status_code == 200 and r.headers["x-llmdrill-fallback"] == "1"
            assert all(len(c.calls) <= 1 for c in clients.values())
    run(go())


def test_api_keys_never_leak_into_admin_metrics_or_errors() -> None:
    secret = "sk-SENTINEL-never-show-me"
    overrides = {"providers": {n: {"api_key": secret} for n in ("qwen", "claude", "openai")}}

    async def go() -> None:
        async with serve(overrides, behaviours={"qwen": failing(FailureKind.SERVER_ERROR)}) as (client, gw, _):
            await client.post("/v1/appointments/parse", json=parse_body())
            for path in ("/admin/config", "/metrics", "/healthz"):
                assert secret not in (await client.get(path)).text
            assert secret not in repr(gw.config)
    run(go())


def test_chat_completions_pass_through_is_openai_shaped() -> None:
    async def go() -> None:
        async with serve() as (client, _, _):
            r = await client.post("/v1/chat/completions",
                                  json={"model": "gpt-x", "messages": [{"role": "user", "content": "hola"}]})
            body = r.json()
            assert r.status_code == 200 and body["object"] == "chat.completion"
            assert body["choices"][0]["message"]["role"] == "assistant"
            assert body["usage"]["total_tokens"] == 50
        async with serve(behaviours={n: failing(FailureKind.SERVER_ERROR) for n in ("qwen", "claude", "openai")}) \
                as (client, _, _):
            r = await client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hola"}]})
            assert r.status_code == 503 and r.json()["error"]["type"] == "upstream_unavailable"
    run(go())


def test_the_configured_cache_ttl_is_normal_modes_ttl() -> None:
    async def go() -> None:
        async with serve({"cache": {"ttl": "200ms"}, "degraded": {"enabled": True}}) as (client, _, _):
            body = parse_body("cita ttl mañana 10am con Dr. Pérez")
            assert (await client.post("/v1/appointments/parse", json=body)).headers["x-llmdrill-cache"] == "miss"
            assert (await client.post("/v1/appointments/parse", json=body)).headers["x-llmdrill-cache"] == "hit"
            await asyncio.sleep(0.3)
            assert (await client.post("/v1/appointments/parse", json=body)).headers["x-llmdrill-cache"] == "miss"
    run(go())
