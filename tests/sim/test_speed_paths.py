"""The twin's fast paths give exactly what the plain code gives (bench/bench_sim.py measures the speed).

Each shortcut — the line encoder built once, records written without their dataclass walk, the pure
results memoised (cache keys, decoded cache entries, normalised names), requests started without a
SimPy process when they never wait, the clock read past SimPy's property — is checked against the
code it stands in for, on generated inputs.
"""

from __future__ import annotations

import json
import math
import random
import unicodedata
from collections.abc import Generator
from pathlib import Path
from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.cache_entry import _decode_completion, decode_completion, encode_completion
from gateway.core.observer import CallEvent, StateEvent
from gateway.outcomes import Completion, Usage
from gateway.policy.cache_policy import _cache_key, cache_key
from reports.records import CallRecord, EventRecord
from sim.clock import SimClock
from sim.interpreter import start
from sim.records import RecordObserver, RunFiles, _call_line, _encode, _rounded_text
from workload.prompts import normalise

PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)

atoms = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                  st.text())
values = st.recursive(atoms, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=8)


@given(st.dictionaries(st.text(max_size=8), st.one_of(values, st.just(object)), max_size=8))
def test_the_line_encoder_writes_what_the_plain_encoder_writes(data: dict[str, Any]) -> None:
    assert _encode(data) == PLAIN_ENCODER.encode(data)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]   # not splitlines: "\x85" is one of its breaks


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=1e6), st.text(max_size=10),
       st.dictionaries(st.text(max_size=6), values, max_size=4))
def test_an_event_record_is_written_as_asdict_writes_it(tmp_path_factory: Any, t_s: float, kind: str,
                                                        detail: dict[str, Any]) -> None:
    run_dir = tmp_path_factory.mktemp("events")
    files = RunFiles(run_dir)
    record = EventRecord(t_s, kind, detail)
    files.event(record)
    files.close()
    assert _lines(run_dir / "events.jsonl") == [PLAIN_ENCODER.encode(record.to_dict())]


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=1e6), st.sampled_from(["qwen", "claude"]),
       st.floats(min_value=0, max_value=100), st.sampled_from(["ok", "timeout", "rate_limited"]),
       st.one_of(st.none(), st.integers(100, 599)), st.one_of(st.none(), st.integers(0, 1 << 57)),
       st.floats(min_value=0, max_value=1e6), st.dictionaries(st.text(max_size=6), atoms, max_size=3))
def test_the_observer_writes_calls_and_states_as_their_records_would_be_written(
    tmp_path_factory: Any, started: float, provider: str, latency: float, result: str, status: int | None,
    request_id: int | None, at: float, detail: dict[str, Any],
) -> None:
    fast, plain = tmp_path_factory.mktemp("fast"), tmp_path_factory.mktemp("plain")
    files = RunFiles(fast)
    observer = RecordObserver(files)
    observer.on_call(CallEvent(provider, started, latency, result, status, False, request_id))
    observer.on_call(CallEvent(provider, started, latency, result, status, True, request_id))  # a probe: unwritten
    observer.on_state(StateEvent(at, "breaker", detail))
    files.close()
    reference = RunFiles(plain)
    reference.call(CallRecord(round(started, 6), provider, latency, result, status, request_id))
    reference.event(EventRecord(round(at, 6), "breaker", dict(detail)))
    reference.close()
    for name in ("calls.jsonl", "events.jsonl"):
        assert _lines(fast / name) == _lines(plain / name)
    assert _lines(fast / "calls.jsonl")[0] == PLAIN_ENCODER.encode(
        {"t_s": round(started, 6), "provider": provider, "latency_s": latency, "result": result,
         "status": status, "request_id": request_id})


numbers = st.one_of(st.floats(), st.integers(-5, 5), st.booleans(), st.sampled_from([-0.0, 1e-7, 1e16, 0.1 + 0.2]))
maybe_ints = st.one_of(st.none(), st.integers(-(1 << 70), 1 << 70), st.booleans(), st.floats(0, 5))
names = st.one_of(st.text(max_size=8), st.sampled_from(["qwen", "ok", "rate_limited", "\u2028", '"\\']))


@settings(max_examples=300)
@given(numbers, names, numbers, names, maybe_ints, maybe_ints)
def test_a_formatted_call_line_is_the_encoder_s_line(t_s: Any, provider: Any, latency_s: Any, result: Any,
                                                    status: Any, request_id: Any) -> None:
    line = _call_line(t_s, provider, latency_s, result, status, request_id)   # of the unrounded start
    plain = PLAIN_ENCODER.encode({"t_s": round(t_s, 6) if type(t_s) is float else t_s, "provider": provider,
                                  "latency_s": latency_s, "result": result, "status": status,
                                  "request_id": request_id})
    assert line is None or line == plain
    # the values a call has (finite float times, str names, int or None ids) are always formatted
    if type(t_s) is float and type(latency_s) is float and abs(t_s) < float("inf") > abs(latency_s) \
            and type(status) is not bool and type(request_id) is not bool \
            and not isinstance(status, float) and not isinstance(request_id, float):
        assert line == plain


param_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, -0.0, 2.5]),
                         st.text(max_size=3))


@given(st.lists(st.tuples(st.sampled_from(["parse/v1", "m"]), st.sampled_from(["Cita mañana", "cita  MAÑANA"]),
                          st.dictionaries(st.sampled_from(["max_tokens", "t"]), param_values, max_size=2)),
                min_size=1, max_size=6))
def test_a_memoised_cache_key_is_the_key_computed_afresh(asks: list[tuple[str, str, dict[str, object]]]) -> None:
    # 1, 1.0 and True come in any order: each keeps its own key (1 and 1.0 agree, True does not)
    for model, prompt, params in asks + asks:
        assert cache_key(model, prompt, params) == _cache_key(model, prompt, params)
    assert cache_key("m", "p", {"n": 1}) == cache_key("m", "p", {"n": 1.0}) != cache_key("m", "p", {"n": True})


@given(st.text(), st.text(max_size=20), st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_memoised_cache_entry_decodes_to_what_decoding_gives(text: str, model: str, p: int, c: int) -> None:
    raw = encode_completion(Completion("qwen", model, text, Usage(p, c)))
    assert decode_completion(raw) == _decode_completion(raw) == Completion("qwen", model, text, Usage(p, c))
    assert decode_completion(raw) == decode_completion(raw)
    assert decode_completion("not json") is None and decode_completion('{"provider": 1}') is None


@given(st.text())
def test_a_memoised_normalised_name_is_the_formula(text: str) -> None:
    want = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    assert normalise(text) == want and normalise(text) == want


def _trace(use_start: bool, seed: int, bodies: int, hit_share: float) -> list[tuple[float, int, str]]:
    """Bodies arriving at random instants, some done at once (a cache hit), others waiting 1-3 times.

    As in the twin, the arrivals have their own generator: a body's first step now runs before the source
    draws the next arrival, so a generator both drew from would be drawn in another order.
    """
    env = simpy.Environment()
    rng = random.Random(seed)
    log: list[tuple[float, int, str]] = []
    shared = random.Random(seed + 1)   # one generator drawn from by every body, as the stack's rng is

    def body(i: int, waits: int) -> Generator[simpy.Event, Any, None]:
        own = random.Random(seed * 1000 + i)   # a call's delays come from its own generator, as call_rng's
        log.append((env.now, i, f"start {shared.random():.6f}"))
        for w in range(waits):
            yield env.timeout(own.expovariate(2.0))
            log.append((env.now, i, f"woke {w} {shared.random():.6f}"))
        log.append((env.now, i, "done"))

    def source() -> Generator[simpy.Event, Any, None]:
        for i in range(bodies):
            yield env.timeout(rng.expovariate(5.0))
            gen = body(i, 0 if rng.random() < hit_share else rng.randint(1, 3))
            if use_start:
                start(env, gen)
            else:
                env.process(gen)

    env.process(source())
    env.run()
    return log


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.floats(0, 1))
def test_a_body_started_at_once_runs_as_its_process_would(seed: int, bodies: int, hit_share: float) -> None:
    assert _trace(True, seed, bodies, hit_share) == _trace(False, seed, bodies, hit_share)


def test_a_body_that_never_waits_makes_no_process() -> None:
    env = simpy.Environment()
    ran: list[float] = []

    def done_at_once() -> Generator[simpy.Event, Any, None]:
        ran.append(env.now)
        return
        yield  # a generator that returns before its first yield

    start(env, done_at_once())
    assert ran == [0] and env.peek() == float("inf")   # nothing was scheduled


def test_the_clock_reads_env_now_as_a_float() -> None:
    env = simpy.Environment()
    clock = SimClock(env)
    assert clock.now() == 0.0 and type(clock.now()) is float
    env.run(until=env.timeout(2.5))
    assert clock.now() == float(env.now) == 2.5


def test_a_failed_event_is_thrown_into_the_body_as_a_process_would() -> None:
    def run(use_start: bool) -> list[tuple[float, str]]:
        env = simpy.Environment()
        log: list[tuple[float, str]] = []

        def body() -> Generator[simpy.Event, Any, None]:
            failing = env.event()

            def refuse(_: simpy.Event) -> None:
                failing.fail(ValueError("refused"))

            env.timeout(1.0).callbacks.append(refuse)
            try:
                yield failing
            except ValueError as exc:
                log.append((env.now, f"caught {exc}"))
            yield env.timeout(0.5)
            log.append((env.now, "done"))

        if use_start:
            start(env, body())
        else:
            env.process(body())
        env.run()
        return log

    assert run(True) == run(False) == [(1.0, "caught refused"), (1.5, "done")]


# twin times (0 to a day, to the microsecond and between), ties at the seventh decimal and their neighbours,
# the ends of the fixed-notation range and any other float
halves = st.integers(0, (1 << 32) * 10**6).map(lambda n: (n + 0.5) / 1e6)
near = st.tuples(st.one_of(halves, st.sampled_from([1e-4, 4294967296.0, 1e-7, 5e-5])), st.sampled_from([-1, 0, 1])
                 ).map(lambda p: p[0] if p[1] == 0 else math.nextafter(p[0], math.copysign(math.inf, p[1])))
times = st.one_of(st.floats(0, 86400), st.integers(0, 86400 * 10**6).map(lambda n: n / 1e6), near,
                  near.map(lambda x: -x), st.floats(allow_nan=False, allow_infinity=False),
                  st.floats(-1e10, 1e10))


@settings(max_examples=3000)
@given(times)
def test_a_rounded_time_s_text_is_the_repr_of_the_rounded_time(at: float) -> None:
    assert _rounded_text(at) == repr(round(at, 6))
