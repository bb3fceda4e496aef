"""The fakes' fast paths give exactly what the general paths give: same decisions, same bytes."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.faults import FaultEngine, FaultPlan, QuotaBuckets, RequestInfo, answers
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import Decision, QualityLoss
from fake_providers.faults.memo import Memo
from fake_providers.servers.anthropic_wire import AnthropicDialect
from fake_providers.servers.asgi import BodyTooLarge, ClientGone, Message, json_bytes, read_body
from fake_providers.servers.chat import _parse
from fake_providers.servers.dialect import RequestProblem
from fake_providers.servers.openai_wire import OpenAIDialect

PROVIDERS = ("qwen", "claude", "openai")
REQ = RequestInfo("qwen-plus", False, "cita mañana 10am con Dr. Pérez", 120)


class _GeneralEngine(FaultEngine):
    """The engine with its no-active-rule fast path turned off: the reference behaviour."""

    def _idle(self, t: float) -> bool:
        return False


_EFFECTS: list[dict[str, object]] = [
    {"error": {"status": 503}},
    {"latency": {"dist": "uniform", "min": "1s", "max": "2s"}},
    {"bad_json": "prose"},
    {"quota": {"rpm": 2}},
    {"capacity": {"concurrency": 1, "queue": 1}},
    {"quality": {"confidence": 0.5}},
]


@st.composite
def _plans(draw: st.DrawFn) -> FaultPlan:
    rules = []
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.floats(0, 20))
        rule: dict[str, object] = {"at": at, **draw(st.sampled_from(_EFFECTS))}
        if draw(st.booleans()):
            rule["until"] = at + draw(st.floats(0.5, 10))
        rule["provider"] = draw(st.sampled_from(("*", *PROVIDERS)))
        if not ({"quota", "capacity"} & rule.keys()):
            rule["probability"] = draw(st.sampled_from((1.0, 0.5)))
        rules.append(rule)
    baseline = draw(st.sampled_from(({"dist": "lognormal", "p50": 0.6, "p95": 1.5},
                                     {"dist": "constant", "value": 0})))
    return FaultPlan.parse({"faults": rules, "baseline": baseline})


@settings(max_examples=60, deadline=None)
@given(plan=_plans(), seed=st.integers(0, 2**32 - 1),
       steps=st.lists(st.tuples(st.floats(0, 2), st.integers(0, 2)), min_size=1, max_size=30))
def test_fast_path_decides_as_the_general_path(plan: FaultPlan, seed: int, steps: list[tuple[float, int]]) -> None:
    fast, general = FaultEngine(plan, seed), _GeneralEngine(plan, seed)
    t = 0.0
    for dt, which in steps:
        t += dt
        provider = PROVIDERS[which]
        got: Decision = fast.decide(t, provider, REQ)
        assert got == general.decide(t, provider, REQ)
        assert fast.limits(t, provider) == general.limits(t, provider)
        fast.release(got, t)
        general.release(got, t)
    assert fast.rng.random() == general.rng.random()   # the same number of draws was taken


def test_fast_path_follows_a_reassigned_plan() -> None:
    engine = FaultEngine(FaultPlan(), 0)
    assert engine.decide(0.0, "qwen", REQ).rules == ()
    engine.plan = FaultPlan.parse([{"error": {"status": 502}}])
    assert engine.decide(0.0, "qwen", REQ).response == FaultEngine(engine.plan, 0).decide(0.0, "qwen", REQ).response


@settings(max_examples=50, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(-1, 30), st.integers(-5, 500)), max_size=40))
def test_count_records_as_admit_does(steps: list[tuple[float, int]]) -> None:
    counted = QuotaBuckets(5, 1000, 10.0, enforce=False)
    admitted = QuotaBuckets(5, 1000, 10.0, enforce=False)
    for now, tokens in steps:
        counted.count(now, tokens)
        verdict = admitted.admit(now, tokens)
        assert verdict.admitted
        assert counted.view(now) == verdict.view == admitted.view(now)
        assert counted.requests_in_window == admitted.requests_in_window


def test_count_refuses_an_enforcing_bucket() -> None:
    with pytest.raises(ValueError, match="non-enforcing"):
        QuotaBuckets(5, None).count(0.0, 1)


_calls = st.builds(
    ChatCall, model=st.text(max_size=20), system=st.just(""), prompt=st.just(""),
    prompt_tokens=st.integers(0, 10**6), max_tokens=st.integers(1, 10**6), stream=st.just(False),
)


@settings(max_examples=150, deadline=None)
@given(call=_calls, rid=st.text(max_size=40), text=st.text(max_size=200), tokens=st.integers(0, 10**6),
       created=st.integers(0, 2**40))
def test_completion_body_is_byte_identical_to_the_dict(
    call: ChatCall, rid: str, text: str, tokens: int, created: int
) -> None:
    for dialect in (OpenAIDialect("openai", created), OpenAIDialect("qwen"), AnthropicDialect()):
        body = dialect.completion_body(call, rid, text, tokens)
        assert body == json_bytes(dialect.completion(call, rid, text, tokens))
        assert json.loads(body) == dialect.completion(call, rid, text, tokens)


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 8), keys=st.lists(st.integers(0, 20), max_size=60))
def test_memo_is_bounded_and_remembers_the_latest(limit: int, keys: list[int]) -> None:
    memo: Memo[str] = Memo(limit)
    for key in keys:
        assert memo.put(key, f"v{key}") == f"v{key}"
        assert memo.get(key) == f"v{key}"
        assert 1 <= len(memo) <= limit
    memo.clear()
    assert len(memo) == 0 and all(memo.get(k) is None for k in keys)


def test_memo_rejects_a_bad_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        Memo(0)


def _receiver(messages: list[Message]):  # type: ignore[no-untyped-def]
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


@settings(max_examples=60, deadline=None)
@given(chunks=st.lists(st.binary(max_size=50), min_size=1, max_size=6))
def test_read_body_joins_chunks_whatever_the_split(chunks: list[bytes]) -> None:
    messages: list[Message] = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                               for i, c in enumerate(chunks)]
    assert asyncio.run(read_body(_receiver(messages))) == b"".join(chunks)
    size = len(b"".join(chunks))
    if size:
        with pytest.raises(BodyTooLarge):
            asyncio.run(read_body(_receiver(messages), limit=size - 1))


def test_read_body_notices_a_client_gone() -> None:
    with pytest.raises(ClientGone):
        asyncio.run(read_body(_receiver([{"type": "http.disconnect"}])))
    partial: list[Message] = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    with pytest.raises(ClientGone):
        asyncio.run(read_body(_receiver(partial)))


def test_parse_remembers_good_bodies_and_never_bad_ones() -> None:
    dialect = OpenAIDialect("openai")
    raw = json.dumps({"model": "m-speed", "messages": [{"role": "user", "content": "hola"}]}).encode()
    first = _parse(dialect, raw)
    fresh = dialect.parse_request(json.loads(raw))
    assert first == (fresh, fresh.request_info())   # the call and what the engine decides on, remembered
    assert _parse(dialect, raw) is first
    assert _parse(AnthropicDialect(), json.dumps({"model": "m-speed", "max_tokens": 5,
                                                   "messages": [{"role": "user", "content": "hola"}]}).encode())
    bad = b'{"model": "m-speed", "messages": []}'
    for _ in range(2):
        with pytest.raises(RequestProblem, match="messages"):
            _parse(dialect, bad)


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(("", answers.PARSE_MARKER, answers.NEGOTIATE_MARKER)), prompt=st.text(max_size=80))
def test_remembered_answers_equal_fresh_ones(system: str, prompt: str) -> None:
    fresh = answers._compose(system, prompt, None, random.Random(0))
    assert answers.compose(system, prompt, None, random.Random(1)) == fresh
    assert answers.compose(system, prompt, None, random.Random(2)) == fresh


def test_answers_with_quality_loss_still_draw() -> None:
    loss = QualityLoss(confidence=0.5, wrong_rate=0.0, missing_rate=1.0)
    rng = random.Random(3)
    before = rng.getstate()
    got = answers.compose(answers.PARSE_MARKER, "cita con Dr. Pérez mañana 10am", loss, rng)
    assert rng.getstate() != before
    assert got.entities == dict.fromkeys(answers.ENTITY_FIELDS)
