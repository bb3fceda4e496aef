"""The gold probe (issue 13 item 3): pure scheduling and judging, and the flow on the users' path.

The judge must agree with the load generator's (``workload.outcome.is_correct``), which the gateway
may not import; the flow must go through the cache like a user, so that the runbook's unguarded
fuzzy cache handing out a neighbour's appointment shows up in the probe's ratio.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import ConfigError, load_config
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Sleep
from gateway.core.gold_flow import gold_probe_flow
from gateway.core.gold_probe import GoldCase, GoldProbe, judge
from gateway.core.observer import NullObserver, StateEvent
from gateway.core.pipeline import ParseOutcome, parse_appointment
from gateway.core.stack import Stack
from gateway.outcomes import Completion, Usage
from workload.outcome import is_correct
from workload.prompts import Gold

REF = date(2026, 1, 22)
names = st.sampled_from(["Dr. Pérez", "dr. pérez", "Dra.  Núñez", "Ana", None, "Dr. Perez"])
days = st.sampled_from(["2026-01-23", "2026-01-24", None])
times = st.sampled_from(["10:00", "11:00", None])


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    def field(value: str | None) -> dict[str, Any] | None:
        return None if value is None and draw(st.booleans()) else {"original": "x", "resolved": value}
    entities = {"contacto": draw(names), "fecha": field(draw(days)), "hora": field(draw(times)), "lugar": None}
    return draw(st.sampled_from([{"entities": entities}, {"entities": None}, {}]))


@given(bodies(), names, days, times)
@settings(max_examples=400, deadline=None)
def test_the_gateway_judges_as_the_load_generator_does(body: dict[str, Any], contacto: str | None,
                                                        fecha: str | None, hora: str | None) -> None:
    case = GoldCase("cita", REF, contacto, fecha, hora)
    assert judge(body, case) == is_correct(body, Gold(contacto, fecha, hora))


@given(st.integers(1, 4), st.lists(st.floats(0.0, 20.0), min_size=1, max_size=50))
@settings(max_examples=200, deadline=None)
def test_at_most_one_probe_per_interval_in_turn(n: int, gaps: list[float]) -> None:
    cases = [GoldCase(f"cita {i}", REF, None, None, None) for i in range(n)]
    probe = GoldProbe(cases, interval_s=5.0, window_s=60.0)
    now, sent = 0.0, []
    for gap in gaps:
        now += gap
        case = probe.due(now)
        if case is not None:
            sent.append((now, case))
    assert sent and sent[0][0] == gaps[0]          # the first as soon as asked
    for (a, _), (b, _) in itertools.pairwise(sent):
        # ``due`` compares instants (now >= a + 5); their difference may round a hair under 5
        assert b >= a + 5.0
    assert [c for _, c in sent] == [cases[i % n] for i in range(len(sent))]


@given(st.lists(st.tuples(st.floats(0.0, 50.0), st.one_of(st.none(), st.booleans())), max_size=60))
@settings(max_examples=200, deadline=None)
def test_the_ratio_is_the_share_correct_over_the_window(verdicts: list[tuple[float, bool | None]]) -> None:
    probe = GoldProbe([GoldCase("cita", REF, None, None, None)], interval_s=1.0, window_s=100.0)
    now, log = 0.0, []
    for gap, verdict in verdicts:
        now += gap
        probe.record(now, verdict)
        if verdict is not None:
            log.append((now, verdict))
        recent = [ok for t, ok in log if t > now - 100.0]
        assert probe.ratio(now) == (sum(recent) / len(recent) if recent else None)
    assert probe.answered == len(log) and probe.correct == sum(ok for _, ok in log)
    assert probe.unanswered == sum(v is None for _, v in verdicts)


# -- the flow, in memory ------------------------------------------------------------------------------

USER = "Quiero agendar una cita para mañana a las 10am con el Dr. Pérez, por favor"
GOLD = USER.replace("10am", "11am")     # 0.92 similar: the runbook's fuzzy match takes one for the other
ANSWERS = {  # what the (scripted, truthful) LLM says for each prompt
    USER: {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am"},
    GOLD: {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "11am"},
}
PROBE_CASE = {"prompt": GOLD, "reference_date": "2026-01-22",
              "contacto": "Dr. Pérez", "fecha": "2026-01-23", "hora": "11:00"}


class Recorder(NullObserver):
    def __init__(self) -> None:
        self.states: list[StateEvent] = []

    def on_state(self, event: StateEvent) -> None:
        self.states.append(event)


def run(stack: Stack, clock: ManualClock, flow: Any, cache: dict[str, str], calls: list[CallProvider]) -> Any:
    result: object = None
    while True:
        try:
            effect = flow.send(result)
        except StopIteration as stop:
            return stop.value
        result = None
        if isinstance(effect, CallProvider):
            calls.append(effect)
            prompt = effect.request.messages[-1].content
            text = json.dumps({**ANSWERS.get(prompt, {}), "lugar": None, "confidence": 0.9}, ensure_ascii=False)
            clock.advance(0.2)
            result = Completion(effect.provider, "m", text, Usage(10, 10))
        elif isinstance(effect, CacheGet):
            result = cache.get(effect.key)
        elif isinstance(effect, CacheSet):
            cache[effect.key] = effect.value
        elif isinstance(effect, Sleep):
            clock.advance(effect.seconds)


def stack_for(guard: bool, observer: Recorder | None = None) -> tuple[Stack, ManualClock]:
    clock = ManualClock(0.0)
    config = load_config(overrides={
        "degraded": {"enabled": True},
        "cache": {"similarity": {"enabled": True, "threshold": 0.9, "guard": guard}},
        "gold_probe": {"interval": "30s", "cases": [PROBE_CASE]},
    }, environ={})
    return Stack(config, clock, observer), clock


@pytest.mark.parametrize(("guard", "correct"), [(False, False), (True, True)])
def test_the_probe_goes_through_the_cache_and_sees_a_fuzzy_hit_serve_the_wrong_hour(guard: bool,
                                                                                     correct: bool) -> None:
    recorder = Recorder()
    stack, clock = stack_for(guard, recorder)
    cache: dict[str, str] = {}
    user_calls: list[CallProvider] = []
    # a user's near-duplicate fills the cache: same contact and day, 10am
    user = run(stack, clock, parse_appointment(stack, USER, REF, clock.now()), cache, user_calls)
    assert isinstance(user, ParseOutcome) and user.status == 200 and not user.probe
    probe_calls: list[CallProvider] = []
    outcome = run(stack, clock, gold_probe_flow(stack), cache, probe_calls)
    assert isinstance(outcome, ParseOutcome) and outcome.probe
    # unguarded, the 0.9 fuzzy match answers 11am with the 10am appointment, from the cache
    assert outcome.cache_hit is (not guard)
    assert stack.gold_probe.ratio(clock.now()) == (1.0 if correct else 0.0)
    assert all(c.probe for c in probe_calls) and not any(c.probe for c in user_calls)
    [event] = [e for e in recorder.states if e.kind == "gold_probe"]
    assert event.detail["correct"] is correct
    assert event.detail["source"] in (("qwen", "claude", "openai") if guard else ("cache",))
    # not due again before the interval; due after it
    assert run(stack, clock, gold_probe_flow(stack), cache, []) is None
    clock.advance(30.0)
    assert isinstance(run(stack, clock, gold_probe_flow(stack), cache, []), ParseOutcome)


def test_no_cases_no_probe_and_bad_cases_name_the_field() -> None:
    stack = Stack(load_config(environ={}), ManualClock(0.0))
    assert not stack.gold_probe.enabled
    assert run(stack, ManualClock(0.0), gold_probe_flow(stack), {}, []) is None
    with pytest.raises(ConfigError, match=r"gold_probe\.cases\.0\.hora"):
        load_config(overrides={"gold_probe": {"cases": [{**PROBE_CASE, "hora": "11am"}]}}, environ={})
    with pytest.raises(ConfigError, match=r"gold_probe\.cases\.0\.prompt"):
        load_config(overrides={"gold_probe": {"cases": [{**PROBE_CASE, "prompt": ""}]}}, environ={})
