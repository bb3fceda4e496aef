"""A cache hit on a clock that stands still is handed its kept outcome: what the full path gives.

``parse_appointment`` keeps the outcome of a hit whose slot is free, or whose negotiation the cache
answered, when no time passed from the arrival (``pipeline._STILL_HITS``).  Checked over generated
sequences of requests (answers good, unreadable, free, busy, out of hours; two reference dates; modes;
probes; requests whose clock moved before they ran; a negotiation's entry missing, as it was, or new)
against the same requests on a clock that does not stand still, which always takes the full path: every
outcome equal, each reported once, the same lookups.  A negotiated answer differs from request to request
here (the scripted provider and the scripted entries number theirs), so handing back a stale one would be
caught.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import ManualClock
from gateway.config import load_config
from gateway.core import pipeline
from gateway.core.cache_entry import encode_completion
from gateway.core.effects import CacheGet, CacheSet, CallProvider, Sleep
from gateway.core.observer import NullObserver
from gateway.core.parse_outcome import ParseOutcome
from gateway.core.pipeline import is_kept, parse_appointment
from gateway.core.stack import Stack
from gateway.outcomes import Completion, Usage
from sim.clock import SimClock


class StillClock(ManualClock):
    """``ManualClock`` that says it stands still, as the twin's does (the test moves it only between flows)."""

    stands_still = True


class Reports(NullObserver):
    def __init__(self) -> None:
        self.outcomes: list[ParseOutcome] = []

    def on_request(self, summary: ParseOutcome) -> None:
        self.outcomes.append(summary)


def _answer(contacto: str | None, fecha: str, hora: str, lugar: str | None) -> str:
    return json.dumps({"contacto": contacto, "fecha": fecha, "hora": hora, "lugar": lugar, "confidence": 0.8})


# ~1 in 6 of these slots is taken on one of the dates (negotiation); "23:30" is out of hours (invalid)
answers = st.one_of(
    st.builds(_answer, st.sampled_from(["Dr. Pérez", "Ana López", None]),
              st.sampled_from(["mañana", "hoy", "pasado mañana"]), st.sampled_from(["10am", "4:30pm", "9am", "23:30"]),
              st.sampled_from([None, "Polanco"])),
    st.sampled_from(["{", "no json", '{"contacto": 3}']))
requests = st.tuples(st.integers(0, 3),            # which prompt (each prompt's cache entry is its answer)
                     st.sampled_from([date(2026, 1, 22), date(2026, 3, 2)]),
                     st.booleans(),                # probe
                     st.sampled_from([0.0, 0.0, 0.25]),   # how long before the flow the request arrived
                     st.sampled_from(["miss", "same", "same", "new"]))   # its negotiation's entry


class Driver:
    """Answers a flow's effects: the parse key's entry from ``entries``; any other lookup (a negotiation's)
    as the request says: a miss (the entry gone), the entry as it was (made if there is none), or a new one
    (numbered); each provider call a numbered answer."""

    def __init__(self, clock: ManualClock, entries: dict[str, str]) -> None:
        self.clock, self.entries, self.calls = clock, entries, 0
        self.negotiations: dict[str, str] = {}
        self.made = self.lookups = 0
        self.served = False   # the last flow's negotiation was looked up and found

    def _negotiation(self, key: str, how: str) -> str | None:
        if how == "miss":
            self.negotiations.pop(key, None)
            return None
        if how == "new" or key not in self.negotiations:
            self.made += 1
            self.negotiations[key] = encode_completion(Completion("claude", "m", f"contrapropuesta {self.made}",
                                                                  Usage(1, 1)))
        return self.negotiations[key]

    def run(self, flow: Any, negotiation: str = "miss") -> ParseOutcome:
        value: Any = None
        first = True
        self.served = False
        while True:
            try:
                effect = flow.send(value)
            except StopIteration as stop:
                assert isinstance(stop.value, ParseOutcome)
                return stop.value
            if isinstance(effect, CacheGet):
                self.lookups += 1
                value = self.entries.get(effect.key) if first else self._negotiation(effect.key, negotiation)
                self.served = self.served or (not first and value is not None)
                first = False
            elif isinstance(effect, CallProvider):
                self.calls += 1
                value = Completion(effect.provider, "m", f"propuesta {self.calls}", Usage(1, 1))
            elif isinstance(effect, Sleep):
                self.clock.advance(effect.seconds)
                value = None
            else:
                assert isinstance(effect, CacheSet)
                value = None


def _stack(clock: ManualClock, degraded: bool, conservation: bool) -> tuple[Stack, Reports]:
    config = load_config(overrides={"degraded": {"enabled": degraded}, "conservation": {"enabled": conservation},
                                    "cache": {"similarity": {"enabled": False}}}, environ={})
    reports = Reports()
    return Stack(config, clock, reports), reports


@settings(max_examples=150, deadline=None)
@given(st.lists(answers, min_size=4, max_size=4), st.lists(requests, min_size=1, max_size=25), st.booleans(),
       st.booleans())
def test_kept_hit_outcome_is_the_full_paths(texts: list[str], asks: list[tuple[int, date, bool, float, str]],
                                            degraded: bool, conservation: bool) -> None:
    negotiations_kept.append(_still_against_full(texts, asks, degraded, conservation))


#: answers whose slot is taken on 2026-01-22 (the availability agent's calendar)
TAKEN = [_answer("Ana López", "mañana", "10am", None), _answer("Dr. Pérez", "hoy", "9am", None)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.just(date(2026, 1, 22)), st.booleans(),
                          st.sampled_from([0.0, 0.0, 0.0, 0.25]), st.sampled_from(["miss", "same", "same", "new"])),
                min_size=2, max_size=30), st.booleans())
def test_a_taken_slot_s_kept_outcome_follows_its_negotiation_s_entry(
        asks: list[tuple[int, date, bool, float, str]], conservation: bool) -> None:
    # mostly the same two keys: a kept negotiation handed back, then its entry gone or replaced
    handed_back.append(_still_against_full(TAKEN * 2, asks, False, conservation)[1])


def _still_against_full(texts: list[str], asks: list[tuple[int, date, bool, float, str]], degraded: bool,
                        conservation: bool) -> tuple[int, int]:
    """Kept outcomes of a negotiation, and those of them handed back again."""
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    still_clock, live_clock = StillClock(100.0), ManualClock(100.0)
    still, still_reports = _stack(still_clock, degraded, conservation)
    live, live_reports = _stack(live_clock, degraded, conservation)
    prompts = [f"cita {n} con el doctor" for n in range(4)]
    entries: dict[str, str] = {}
    for n, prompt in enumerate(prompts):
        # the parse spec's key, as the pipeline looks it up
        _, spec = pipeline._parse_call(prompt, False, 200)
        entries[spec.key()] = encode_completion(Completion("qwen", "m", texts[n], Usage(1, 1)))
    still_driver, live_driver = Driver(still_clock, entries), Driver(live_clock, entries)
    kept_negotiations = again = 0
    earlier: list[ParseOutcome] = []
    for n, reference, probe, early, negotiation in asks:
        for clock in (still_clock, live_clock):
            clock.advance(1.0)
        got = still_driver.run(parse_appointment(still, prompts[n], reference, still_clock.now() - early, probe),
                               negotiation)
        want = live_driver.run(parse_appointment(live, prompts[n], reference, live_clock.now() - early, probe),
                               negotiation)
        assert got == want
        assert still_reports.outcomes[-1] is got and live_reports.outcomes[-1] is want
        assert still_driver.lookups == live_driver.lookups and still_driver.calls == live_driver.calls
        # kept: only a hit in no time whose slot is free or whose negotiation the cache answered; a kept one
        # is handed back as it is
        negotiated = (got.answer or {}).get("negotiation", {}).get("source") == "llm"
        assert is_kept(got) is (got.cache_hit and not got.fallback and got.agent_s == 0.0
                                and (not negotiated or still_driver.served))
        kept_negotiations += is_kept(got) and negotiated
        again += negotiated and any(got is e for e in earlier)
        earlier.append(got)
        assert not is_kept(want)
        assert len(pipeline._KEPT_IDS) == len(pipeline._STILL_HITS)
    assert len(still_reports.outcomes) == len(live_reports.outcomes) == len(asks)
    return kept_negotiations, again


negotiations_kept: list[tuple[int, int]] = []
handed_back: list[int] = []


def test_kept_negotiations_were_generated() -> None:
    # the sequences above reach a taken slot's kept outcome, handed back and replaced
    negotiations_kept.clear()
    test_kept_hit_outcome_is_the_full_paths()
    assert sum(kept for kept, _ in negotiations_kept) > 0
    handed_back.clear()
    test_a_taken_slot_s_kept_outcome_follows_its_negotiation_s_entry()
    assert sum(handed_back) > 0


def test_only_the_twins_clock_stands_still() -> None:
    import simpy

    assert SimClock(simpy.Environment()).stands_still is True
    assert ManualClock().stands_still is False
    from gateway.clock import MonotonicClock
    assert MonotonicClock().stands_still is False


def test_kept_hits_are_bounded() -> None:
    pipeline._STILL_HITS.clear()
    pipeline._KEPT_IDS.clear()
    clock = StillClock(5.0)
    stack, _ = _stack(clock, False, False)
    entries: dict[str, str] = {}
    text = _answer("Ana López", "mañana", "10am", None)
    for n in range(pipeline._STILL_HITS_MAX + 3):
        _, spec = pipeline._parse_call(f"p{n}", False, 200)
        entries = {spec.key(): encode_completion(Completion("qwen", "m", text, Usage(1, 1)))}
        Driver(clock, entries).run(parse_appointment(stack, f"p{n}", date(2026, 1, 22), clock.now()))
        assert len(pipeline._STILL_HITS) <= pipeline._STILL_HITS_MAX
        assert len(pipeline._KEPT_IDS) == len(pipeline._STILL_HITS)
