"""The twin's link (toxics) and provider: the live proxy's delays, the live client's failure kinds."""

from __future__ import annotations

import random

import pytest

from fake_providers.faults.engine import FaultEngine
from fake_providers.faults.plan import FaultPlan
from fake_providers.faults.service import ServiceSpec
from gateway.nlp import build_parse_messages
from gateway.outcomes import ChatRequest, Completion, FailureKind, Message, ProviderFailure
from sim.network import Link, NetworkError, Toxic
from sim.provider import SimProvider

PARSE = ChatRequest(build_parse_messages("Cita mañana a las 10am con el Dr. Pérez", False), max_tokens=200)
CHAT = ChatRequest((Message("user", "hola"),), max_tokens=20)


def toxic(kind: str, stream: str = "downstream", toxicity: float = 1.0, **attrs: float) -> Toxic:
    return Toxic.from_body({"name": f"t_{kind}_{stream}", "type": kind, "stream": stream, "toxicity": toxicity,
                            "attributes": attrs})


def provider(faults: list[dict[str, object]] | None = None, name: str = "qwen", latency: str = "100ms",
             service: ServiceSpec | None = None) -> SimProvider:
    plan = FaultPlan.parse({"faults": faults or [], "baseline": latency})
    return SimProvider(name, FaultEngine(plan, seed=3), 3, service)


def test_a_disabled_link_refuses_and_the_client_sees_connection_refused() -> None:
    p = provider()
    p.link.enabled = False
    plan = p.call(0.0, PARSE, 10.0, 1)
    assert plan.delay_s == 0.0
    assert isinstance(plan.result, ProviderFailure) and plan.result.kind is FailureKind.CONNECTION_REFUSED


def test_latency_toxic_delays_within_latency_plus_or_minus_jitter() -> None:
    link = Link()
    link.add(toxic("latency", latency=3000, jitter=500))
    rng = random.Random(1)
    delays = [link.cross(rng).down_s for _ in range(500)]
    assert all(2.5 <= d < 3.5 for d in delays)
    assert max(delays) - min(delays) > 0.5


def test_toxicity_zero_leaves_the_call_alone() -> None:
    link = Link()
    link.add(toxic("latency", toxicity=0.0, latency=3000))
    assert link.cross(random.Random(1)).down_s == 0.0


def test_upstream_latency_adds_to_the_call() -> None:
    p = provider()
    base = p.call(0.0, PARSE, 10.0, 1).delay_s
    p.link.add(toxic("latency", "upstream", latency=2000))
    assert p.call(0.0, PARSE, 10.0, 1).delay_s == pytest.approx(base + 2.0)


def test_bandwidth_toxic_takes_the_answers_bytes_at_the_rate() -> None:
    p = provider()
    base = p.call(0.0, PARSE, 10.0, 1).delay_s
    p.link.add(toxic("bandwidth", rate=1))   # 1 KB/s
    slow = p.call(0.0, PARSE, 10.0, 1).delay_s
    assert slow - base > 0.3   # a few hundred bytes at 1000 bytes/s


def test_reset_peer_is_a_connection_reset_and_timeout_zero_is_the_clients_timeout() -> None:
    p = provider()
    p.link.add(toxic("reset_peer", "upstream", timeout=200))
    plan = p.call(0.0, PARSE, 10.0, 1)
    assert plan.delay_s == pytest.approx(0.2)
    assert isinstance(plan.result, ProviderFailure) and plan.result.kind is FailureKind.CONNECTION_RESET
    q = provider()
    q.link.add(toxic("timeout", timeout=0))
    plan = q.call(0.0, PARSE, 4.0, 1)
    assert plan.delay_s == 4.0
    assert isinstance(plan.result, ProviderFailure) and plan.result.kind is FailureKind.TIMEOUT


def test_bad_toxic_bodies_name_the_field() -> None:
    with pytest.raises(NetworkError, match="type"):
        Toxic.from_body({"type": "slicer"})
    with pytest.raises(NetworkError, match="toxicity"):
        Toxic.from_body({"type": "latency", "toxicity": 2})
    with pytest.raises(NetworkError, match=r"attributes\.latency"):
        Toxic.from_body({"type": "latency", "attributes": {"latency": -1}})
    link = Link()
    with pytest.raises(NetworkError, match="no toxic"):
        link.remove("nope")


def test_a_normal_call_is_a_completion_parsed_by_the_gateway_client() -> None:
    plan = provider().call(0.0, PARSE, 10.0, 1)
    assert isinstance(plan.result, Completion)
    assert plan.result.provider == "qwen" and '"confidence"' in plan.result.text
    assert plan.result.usage.completion_tokens > 0 and plan.result.usage.prompt_tokens > 0
    assert plan.delay_s > 0


def test_a_call_slower_than_its_timeout_is_a_timeout_at_the_timeout() -> None:
    plan = provider(latency="5s").call(0.0, PARSE, 2.0, 1)
    assert plan.delay_s == 2.0
    assert isinstance(plan.result, ProviderFailure) and plan.result.kind is FailureKind.TIMEOUT


@pytest.mark.parametrize(
    ("rule", "kind", "status"),
    [({"error": {"status": 500}}, FailureKind.SERVER_ERROR, 500),
     ({"error": {"status": 529}}, FailureKind.OVERLOADED, 529),
     ({"error": {"status": 429, "retry_after": "2s"}}, FailureKind.RATE_LIMITED, 429),
     ({"error": {"status": 429, "code": "insufficient_quota"}}, FailureKind.QUOTA_EXHAUSTED, 429),
     ({"connection": "refuse"}, FailureKind.CONNECTION_REFUSED, None),
     ({"connection": "reset"}, FailureKind.CONNECTION_RESET, None),
     ({"bad_json": "truncated"}, FailureKind.BAD_RESPONSE, 200),
     ({"bad_json": "wrong_content_type"}, FailureKind.BAD_RESPONSE, 200)],
)
def test_faults_reach_the_gateway_as_the_live_client_classifies_them(
    rule: dict[str, object], kind: FailureKind, status: int | None
) -> None:
    for name in ("qwen", "claude"):
        plan = provider([{"at": "0s", "provider": "*", **rule}], name=name).call(1.0, PARSE, 10.0, 1)
        assert isinstance(plan.result, ProviderFailure), name
        assert plan.result.kind is kind, name
        assert plan.result.status == status, name
        error = rule.get("error")
        if isinstance(error, dict) and error.get("retry_after"):
            assert plan.result.retry_after_s == pytest.approx(2.0)


def test_prose_is_a_completion_whose_text_is_not_json() -> None:
    plan = provider([{"at": "0s", "bad_json": "prose"}]).call(1.0, PARSE, 10.0, 1)
    assert isinstance(plan.result, Completion) and not plan.result.text.lstrip().startswith("{")


def test_a_hang_lasts_until_the_timeout() -> None:
    plan = provider([{"at": "0s", "connection": "hang"}]).call(1.0, CHAT, 3.0, 1)
    assert plan.delay_s == 3.0
    assert isinstance(plan.result, ProviderFailure) and plan.result.kind is FailureKind.TIMEOUT


def test_the_service_queue_delays_a_second_call_and_overflows_with_503() -> None:
    p = provider(latency="1s", service=ServiceSpec(concurrency=1, queue=1))
    first, second, third = (p.call(0.0, CHAT, 100.0, k) for k in range(3))
    assert first.queued_s == 0.0 and second.queued_s == pytest.approx(1.0)
    assert second.delay_s == pytest.approx(2.0)
    assert isinstance(third.result, ProviderFailure) and third.result.status == 503
