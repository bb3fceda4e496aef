"""The runbook's diagnosis probes, as I/O: health, ten timed chat probes per provider, limits, the gateway.

Each chat probe is a gold prompt of the corpus sent with the parsing agent's wire contract, through the
gateway's own provider client for that provider (so errors are classified exactly as the gateway does:
timeout, 429, 5xx, refused, bad JSON...).  One probe gives both a latency sample (runbook step 2) and a
quality sample (step 3); its rate-limit headers feed step 4.  The probes of every provider run
concurrently, so a hung provider costs one timeout, not ten.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from fake_providers.corpus import REFERENCE_DATE, GoldCase, default_corpus
from gateway.nlp.llm_parse import LlmAnswerError, build_parse_messages, parse_llm_answer
from gateway.outcomes import ChatRequest, ProviderFailure, RateLimitSnapshot
from gateway.providers.registry import make_client

__all__ = ["GatewayProbe", "Health", "Limits", "Probe", "ProbeSet", "run_probes"]

#: the runbook measures ten times ("Ejecutar 10 veces para promedio")
PROBES = 10
#: spacing between one provider's probes, so ten probes are not one burst
_STAGGER_S = 0.05


@dataclass(frozen=True, slots=True)
class Probe:
    provider: str
    latency_s: float
    failure: str | None             # a gateway FailureKind value, or None
    status: int | None
    json_error: bool                # answered, but not the JSON the contract asks for
    confidence: float | None
    correct: bool | None            # entities equal the gold ones (None: no answer to judge)
    rate_limits: RateLimitSnapshot | None
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class Health:
    provider: str
    status: int | None              # None: no HTTP answer
    error: str | None


@dataclass(frozen=True, slots=True)
class Limits:
    provider: str
    requests_per_minute: int | None
    requests_remaining: int | None
    tokens_remaining: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class GatewayProbe:
    latency_s: float
    status: int | None
    provider: str | None
    fallback: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class ProbeSet:
    health: tuple[Health, ...]
    probes: tuple[Probe, ...]
    limits: tuple[Limits, ...]
    gateway: tuple[GatewayProbe, ...]
    gateway_health: dict[str, Any] | None
    gateway_error: str | None


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _judge(text: str, case: GoldCase, reference: date) -> tuple[bool, float | None, bool | None]:
    try:
        result = parse_llm_answer(text, reference)
    except LlmAnswerError:
        return True, None, None
    e = result.entities
    correct = (_same(e.contacto, case.contacto) and _same(e.fecha.original if e.fecha else None, case.fecha)
               and _same(e.hora.original if e.hora else None, case.hora) and _same(e.lugar, case.lugar))
    return False, result.confidence, correct


async def _probe(http: httpx.AsyncClient, provider: str, url: str, case: GoldCase, delay_s: float,
                 timeout_s: float) -> Probe:
    await asyncio.sleep(delay_s)
    client = make_client(provider, url, "llmdrill-diagnose", None, http)
    request = ChatRequest(messages=build_parse_messages(case.prompt), max_tokens=100)
    start = time.monotonic()
    result = await client.call(request, timeout_s)
    latency = time.monotonic() - start
    if isinstance(result, ProviderFailure):
        return Probe(provider, latency, str(result.kind), result.status, result.kind == "bad_response", None,
                     None, result.rate_limits, result.retry_after_s)
    json_error, confidence, correct = _judge(result.text, case, REFERENCE_DATE)
    return Probe(provider, latency, None, 200, json_error, confidence, correct, result.rate_limits)


async def _health(http: httpx.AsyncClient, provider: str, url: str, timeout_s: float) -> Health:
    try:
        r = await http.get(url.rstrip("/") + "/health", timeout=timeout_s)
    except httpx.HTTPError as exc:
        return Health(provider, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return Health(provider, r.status_code, None)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _limits(http: httpx.AsyncClient, provider: str, url: str, timeout_s: float) -> Limits:
    try:
        r = await http.get(url.rstrip("/") + "/v1/limits", timeout=timeout_s)
        doc = r.json()
        if r.status_code != 200 or not isinstance(doc, dict):
            return Limits(provider, None, None, None, f"HTTP {r.status_code}")
    except (httpx.HTTPError, ValueError) as exc:
        return Limits(provider, None, None, None, f"{type(exc).__name__}: {exc}")
    rl = doc.get("rate_limit") if isinstance(doc.get("rate_limit"), dict) else {}
    assert isinstance(rl, dict)
    return Limits(provider, _int(rl.get("requests_per_minute")), _int(rl.get("requests_remaining")),
                  _int(rl.get("tokens_remaining")), None)


async def _gateway_probe(http: httpx.AsyncClient, gateway: str, case: GoldCase, delay_s: float,
                         timeout_s: float) -> GatewayProbe:
    await asyncio.sleep(delay_s)
    start = time.monotonic()
    try:
        r = await http.post(gateway.rstrip("/") + "/v1/appointments/parse", timeout=timeout_s,
                            json={"prompt": case.prompt, "reference_date": REFERENCE_DATE.isoformat()})
    except httpx.HTTPError as exc:
        return GatewayProbe(time.monotonic() - start, None, None, False, type(exc).__name__)
    return GatewayProbe(time.monotonic() - start, r.status_code, r.headers.get("x-llmdrill-provider"),
                        r.headers.get("x-llmdrill-fallback") == "1", None if r.status_code < 400 else r.text[:200])


async def _gateway_health(http: httpx.AsyncClient, gateway: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        r = await http.get(gateway.rstrip("/") + "/healthz", timeout=5)
        doc = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return (doc if isinstance(doc, dict) else {"healthz": doc}), None


async def _run(providers: dict[str, str], gateway: str | None, timeout_s: float, user_timeout_s: float,
               cases: list[GoldCase]) -> ProbeSet:
    async with httpx.AsyncClient(trust_env=False) as http:
        health = [_health(http, p, u, min(timeout_s, 5.0)) for p, u in providers.items()]
        probes = [_probe(http, p, u, cases[i % len(cases)], i * _STAGGER_S, timeout_s)
                  for p, u in providers.items() for i in range(PROBES)]
        gw = [_gateway_probe(http, gateway, cases[i % len(cases)], i * _STAGGER_S, user_timeout_s)
              for i in range(PROBES)] if gateway else []
        got_health = await asyncio.gather(*health)
        got_probes, got_gateway = await asyncio.gather(asyncio.gather(*probes), asyncio.gather(*gw))
        # limits last: they then count the probes just sent, as the runbook's step 4 reads them after use
        got_limits = await asyncio.gather(*[_limits(http, p, u, 5.0) for p, u in providers.items()])
        gw_health, gw_error = await _gateway_health(http, gateway) if gateway else (None, None)
    return ProbeSet(tuple(got_health), tuple(got_probes), tuple(got_limits), tuple(got_gateway), gw_health,
                    gw_error)


def run_probes(providers: dict[str, str], gateway: str | None, timeout_s: float = 10.0,
               user_timeout_s: float = 30.0) -> ProbeSet:
    """Probe every provider (name -> base URL) and, when given, the gateway; bounded by the timeouts."""
    # gold cases with every entity, so a missing-entity fault shows as an incorrect answer
    cases = [c for c in default_corpus() if c.contacto and c.fecha and c.hora][:PROBES]
    return asyncio.run(_run(providers, gateway, timeout_s, user_timeout_s, cases))
