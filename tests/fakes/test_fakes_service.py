"""The ``service:`` rule: a provider's slots and bounded queue, honoured by the live fakes and the twin alike."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults import FaultEngine, FaultPlan, FaultPlanError, RequestInfo
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import Decision, HttpError, Normal
from fake_providers.faults.reply import Reply, serve
from fake_providers.faults.service import ServiceEffect, ServiceQueue, ServiceSpec
from fake_providers.servers import FakeCluster
from gateway.outcomes import ChatRequest, Completion, Message, ProviderFailure
from sim.provider import SimProvider
from tests.fakes.conftest import put

CALL = ChatCall("m", "", "hola", 10, 100, False)
REQ = RequestInfo("m", False, "hola", 110)
SLOT_S = 0.25


async def _burst(url: str, body: dict[str, object], n: int) -> list[tuple[float, httpx.Response]]:
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=n)) as client:
        async def one() -> tuple[float, httpx.Response]:
            started = time.monotonic()
            got = await client.post(url, json=body)
            return time.monotonic() - started, got

        return await asyncio.gather(*(one() for _ in range(n)))


def _served_and_refused(results: list[tuple[float, httpx.Response]]) -> tuple[list[float], list[httpx.Response]]:
    served = sorted(took for took, got in results if got.status_code == 200)
    return served, [got for _, got in results if got.status_code != 200]


@pytest.mark.live
def test_one_slot_serves_simultaneous_requests_one_at_a_time_and_overflows_with_openais_503(
    fakes: FakeCluster,
) -> None:
    put(fakes, "openai", [{"service": {"concurrency": 1, "queue": 3, "ttft": f"{SLOT_S}s"}}])
    body = {"model": "m", "messages": [{"role": "user", "content": "hola"}]}
    results = asyncio.run(_burst(fakes.url("openai") + "/v1/chat/completions", body, 6))
    served, refused = _served_and_refused(results)
    assert len(served) == 4, results             # one in service, three queued
    assert len(refused) == 2
    for got in refused:
        assert got.status_code == 503
        assert got.json() == {"error": {"message": "The engine is currently overloaded, please try again later",
                                        "type": "server_error", "param": None, "code": None}}
    # The fake's own record of each call, [plan seconds at its start, outcome, seconds]: a staircase. Each
    # served call ends one slot after the one before it (the schedule is absolute, so a loaded machine's
    # lateness does not add up); the overflow is answered at once.
    calls = httpx.get(fakes.url("openai") + "/_control/calls", timeout=5).json()["calls"]
    ends = sorted(start + took for start, outcome, took in calls if outcome == "ok")
    first = min(start for start, _, _ in calls)
    assert ends[0] - first >= SLOT_S - 0.005, calls
    gaps = [b - a for a, b in itertools.pairwise(ends)]
    assert gaps == pytest.approx([SLOT_S] * 3, abs=0.1), calls
    assert sorted(outcome for _, outcome, _ in calls) == ["http_503", "http_503", "ok", "ok", "ok", "ok"]
    assert all(took < SLOT_S / 2 for _, outcome, took in calls if outcome == "http_503"), calls


@pytest.mark.live
def test_a_429_overflow_is_anthropics_rate_limit_body(fakes: FakeCluster) -> None:
    put(fakes, "claude", [{"service": {"concurrency": 1, "queue": 0, "ttft": f"{SLOT_S}s", "overflow_status": 429}}])
    body = {"model": "claude-x", "max_tokens": 50, "messages": [{"role": "user", "content": "hola"}]}
    results = asyncio.run(_burst(fakes.url("claude") + "/v1/messages", body, 3))
    served, refused = _served_and_refused(results)
    assert len(served) == 1 and SLOT_S - 0.005 <= served[0] < SLOT_S + 1.0   # its slot's time; loaded: later
    assert [got.status_code for got in refused] == [429, 429]
    error = refused[0].json()
    assert error["type"] == "error" and error["error"]["type"] == "rate_limit_error"
    assert error["request_id"] == refused[0].headers["request-id"]


def test_a_long_answer_holds_its_slot_longer() -> None:
    queue = ServiceQueue(ServiceSpec(concurrency=1, tokens_per_s=10.0, ttft_s=0.5))
    decision = Decision(0.1, Normal(0.1))
    long, waited = serve(Reply(0.1, Normal(0.1), "x" * 200, 50), decision, CALL, queue, 0.0)
    assert waited == 0.0 and long.delay_s == pytest.approx(0.5 + 49 / 10)
    short, waited = serve(Reply(0.1, Normal(0.1), "x", 1), decision, CALL, queue, 0.0)
    assert waited == pytest.approx(long.delay_s) and short.delay_s == pytest.approx(long.delay_s + 0.5)


def test_failures_take_no_slot() -> None:
    queue = ServiceQueue(ServiceSpec(concurrency=1, queue=0))
    failed = Reply(0.0, HttpError(500))
    assert serve(failed, Decision(0.0, HttpError(500)), CALL, queue, 0.0) == (failed, 0.0)
    assert queue.waiting(0.0) == 0


@settings(max_examples=100, deadline=None)
@given(c=st.integers(1, 3), limit=st.one_of(st.none(), st.integers(0, 3)),
       jobs=st.lists(st.tuples(st.floats(0, 2), st.floats(0, 1), st.integers(1, 80)), min_size=1, max_size=30),
       rate=st.one_of(st.none(), st.floats(1, 100)))
def test_served_replies_end_when_their_slot_has_done_their_tokens(
    c: int, limit: int | None, jobs: list[tuple[float, float, int]], rate: float | None
) -> None:
    """Against a brute-force FCFS: the reply ends at start + ttft + (tokens - 1) / rate, or overflows."""
    spec = ServiceSpec(concurrency=c, queue=limit, tokens_per_s=rate)
    queue = ServiceQueue(spec)
    slots = [0.0] * c
    starts: list[float] = []
    now = 0.0
    for gap, latency, tokens in jobs:
        now += gap
        hold = latency + (0.0 if rate is None else (tokens - 1) / rate)
        got, waited = serve(Reply(latency, Normal(latency), "x" * tokens, tokens), Decision(latency, Normal(latency)),
                            CALL, queue, now)
        free = min(range(c), key=lambda i: slots[i])
        start = max(now, slots[free])
        if start > now and limit is not None and sum(s > now for s in starts) >= limit:
            assert isinstance(got.response, HttpError) and got.response.status == spec.overflow_status
            continue
        slots[free] = start + hold
        starts.append(start)
        assert waited == pytest.approx(start - now, abs=1e-9)
        assert got.delay_s == pytest.approx(start - now + hold, abs=1e-9)


def test_the_engine_hands_out_one_queue_per_rule_and_provider_in_real_time() -> None:
    plan = FaultPlan.parse({"time_scale": 0.5, "faults": [
        {"at": 10, "until": 20, "provider": "qwen", "service": {"concurrency": 2, "tokens_per_s": 40, "ttft": "1s"}},
    ]})
    engine = FaultEngine(plan, 1)
    assert engine.service(4.9, "qwen") is None           # the window is [5 s, 10 s) once scaled
    queue = engine.service(5.0, "qwen")
    assert queue is not None and queue is engine.service(9.0, "qwen")
    assert queue.spec == ServiceSpec(2, None, 80.0, 0.5, 503)   # a rate per scaled second, a scaled duration
    assert engine.service(6.0, "claude") is None
    assert engine.decide(6.0, "qwen", REQ, random.Random(1)).rules == ()   # it decides nothing itself
    assert FaultPlan.parse(plan.to_json()) == plan


@pytest.mark.parametrize(
    ("rule", "field"),
    [({"service": {"queue": 2}}, "faults[0].service.concurrency"),
     ({"service": {"concurrency": 0}}, "faults[0].service.concurrency"),
     ({"service": {"concurrency": 1, "overflow_status": 500}}, "faults[0].service.overflow_status"),
     ({"service": {"concurrency": 1, "tokens_per_s": 0}}, "faults[0].service.tokens_per_s"),
     ({"service": {"concurrency": 1, "ttft": "soon"}}, "faults[0].service.ttft"),
     ({"service": {"concurrency": 1, "queu": 3}}, "faults[0].service.queu"),
     ({"probability": 0.5, "service": {"concurrency": 1}}, "faults[0].probability"),
     ({"match": {"stream": True}, "service": {"concurrency": 1}}, "faults[0].match")],
)
def test_a_bad_service_rule_names_its_field(rule: dict[str, object], field: str) -> None:
    with pytest.raises(FaultPlanError) as info:
        FaultPlan.parse([rule])
    assert info.value.field_path == field


def test_the_rule_reads_back_what_it_writes() -> None:
    effect = ServiceEffect(4, 8, 50.0, 0.3, 429)
    assert ServiceEffect.parse(effect.to_json(), "service") == effect


def test_the_twin_honours_the_same_rule_with_the_same_staircase() -> None:
    """What the live fake does above, the twin's provider does from the very same plan rule."""
    plan = FaultPlan.parse([{"service": {"concurrency": 1, "queue": 3, "ttft": f"{SLOT_S}s"}}])
    twin = SimProvider("openai", FaultEngine(plan, 3), 3)
    request = ChatRequest((Message("user", "hola"),), max_tokens=50)
    calls = [twin.call(0.0, request, 30.0, key) for key in range(6)]
    served = [c.delay_s for c in calls if isinstance(c.result, Completion)]
    assert served == pytest.approx([SLOT_S * (k + 1) for k in range(4)])
    refused = [c.result for c in calls if isinstance(c.result, ProviderFailure)]
    assert len(refused) == 2 and all(f.status == 503 for f in refused)
