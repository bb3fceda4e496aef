"""``request_line`` writes a request record's values as the plain JSON encoder writes its dict, or declines.

Its input is ``workload.outcome.answered_values``' tuple, whose own values' types the line trusts; what that
mapping passes through (the caller's id, times, status and prompt id, the body's provider and attempts)
is generated here of every type, with the bodies' junk too (bench/bench_sim.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.records import RequestRecord
from sim.records import RunFiles, _encode
from sim.request_line import answer_line, head_line, record_tail, request_line
from workload.outcome import answer_values as answer_values_of
from workload.outcome import answered_values
from workload.prompts import Gold

PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)
KEYS = [f.name for f in dataclasses.fields(RequestRecord)]
formatted: list[bool] = []


class _Int(int):
    def __repr__(self) -> str:
        return f"_Int({int(self)})"


class _Str(str):
    __slots__ = ()


texts = st.one_of(st.text(max_size=6), st.sampled_from(["qwen", "ok", "\u2028", '"\\', "é"]),
                  st.builds(_Str, st.sampled_from(["qwen", "é"])))
floats = st.one_of(st.floats(), st.sampled_from([-0.0, 0.0, 1e-7, 1e16, 0.1 + 0.2, 0.91, math.inf, -math.inf,
                                                 math.nan]))
ints = st.one_of(st.integers(-(1 << 70), 1 << 70), st.builds(_Int, st.integers(0, 3)), st.booleans())
junk = st.one_of(st.none(), ints, floats, texts, st.dictionaries(st.text(max_size=3), st.none(), max_size=1))
finite = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([-0.0, 0.0, 1e16, 0.91]))
#: a time the caller passes through: finite, or now and then not (which the line must decline)
times = st.one_of(finite, st.sampled_from([math.nan, math.inf, -math.inf]))
flags = st.one_of(st.booleans(), st.none(), st.integers(0, 1), st.just("yes"))
metas = st.fixed_dictionaries({}, optional={
    "provider": st.one_of(st.sampled_from(["qwen", "é"]), st.none(), texts, ints),
    "attempts": st.one_of(st.integers(0, 3), ints, floats, st.none()),
    "cache_hit": flags, "fallback": flags, "degraded": flags, "conservation": flags, "json_error": flags,
    "agent_s": st.one_of(finite, floats, ints, st.none(), texts)})
resolved = st.one_of(st.fixed_dictionaries({"resolved": st.one_of(st.sampled_from(["2026-01-24", "11:45"]),
                                                                   st.none(), ints)}), st.none())
bodies = st.fixed_dictionaries({
    "entities": st.fixed_dictionaries({"contacto": st.one_of(st.sampled_from(["Dr Núñez", "Ana"]), st.none(), ints),
                                       "fecha": resolved, "hora": resolved}),
    "confidence": st.one_of(finite, floats, ints, st.none(), texts), "meta": metas,
    "validation": st.one_of(st.fixed_dictionaries({"valid": flags}), junk)})
golds = st.one_of(st.none(), st.builds(Gold, st.sampled_from(["Dr Núñez", "Ana", None]),
                                       st.sampled_from(["2026-01-24", None]), st.sampled_from(["11:45", None])))
#: the mapping's inputs that may be junk (one a record, or none): the caller's, the body and its parts
JUNKABLE = ["rid", "intended", "sent", "latency", "status", "prompt_id", "body", "meta", "entities"]


def _encoded(values: tuple[Any, ...]) -> str:
    row = dict(zip(KEYS, values, strict=True))
    plain = PLAIN_ENCODER.encode(row)
    assert plain == _encode(row)
    return plain


@settings(max_examples=800)
@given(rid=st.integers(0, 10**7), intended=times, sent=times, sent_is_intended=st.booleans(), latency=times,
       status=st.sampled_from([200, 200, 204, 429, 503]), body=bodies, prompt_id=st.one_of(st.none(), texts),
       gold=golds, junked=st.one_of(st.none(), st.tuples(st.sampled_from(JUNKABLE), junk)))
def test_any_record_is_the_encoder_s_line_or_declined(rid: Any, intended: Any, sent: Any, sent_is_intended: bool,
                                                      latency: Any, status: Any, body: Any, prompt_id: Any,
                                                      gold: Gold | None, junked: tuple[str, Any] | None) -> None:
    args = {"rid": rid, "intended": intended, "sent": sent, "latency": latency, "status": status,
            "prompt_id": prompt_id, "body": body}
    if junked is not None and junked[0] in ("meta", "entities"):
        body[junked[0]] = junked[1]
    elif junked is not None:
        args[junked[0]] = junked[1]
    if sent_is_intended:
        args["sent"] = args["intended"]
    try:
        values = answered_values(args["rid"], args["intended"], args["sent"], args["latency"], args["status"],
                                 args["body"], args["prompt_id"], gold)
    except TypeError:
        return   # a status that is no number: the mapping itself refuses it
    line = request_line(values)
    assert line is None or line == _encoded(values)
    formatted.append(line is not None)


answer_values = st.one_of(st.none(), st.booleans(), st.integers(0, 3), st.floats(0, 1), st.text(max_size=4))


@settings(max_examples=300)
@given(rid=st.integers(0, 10**7), intended=st.floats(0, 1e6), latency=st.floats(0, 100),
       status=st.sampled_from([200, 429, 503]), gold=golds,
       meta=st.dictionaries(st.sampled_from(["provider", "attempts", "cache_hit", "fallback", "degraded",
                                             "conservation", "json_error", "agent_s"]), answer_values),
       contacto=st.sampled_from(["Dr Núñez", "Ana", None]), valid=st.one_of(st.none(), st.booleans()),
       confidence=st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, -0.0, 0.91])))
def test_the_twin_s_records_are_formatted_unless_wrong(rid: int, intended: float, latency: float, status: int,
                                                       gold: Gold | None, meta: dict[str, Any],
                                                       contacto: str | None, valid: bool | None,
                                                       confidence: float | None) -> None:
    body: dict[str, Any] = {"entities": {"contacto": contacto, "fecha": {"resolved": "2026-01-24"},
                                         "hora": {"resolved": "11:45"}},
                            "confidence": confidence, "meta": meta}
    if valid is not None:
        body["validation"] = {"valid": valid, "issues": []}
    values = answered_values(rid, intended, intended, latency, status, body, "c000001", gold)
    line = request_line(values)
    if values[KEYS.index("served")] is None:   # a wrong answer's evidence is nested: the encoder's
        assert line is not None
    assert line is None or line == _encoded(values)


def test_the_generated_records_reached_the_formatter() -> None:
    formatted.clear()
    test_any_record_is_the_encoder_s_line_or_declined()
    assert any(formatted) and not all(formatted)


def test_a_zero_confidence_keeps_its_sign_after_the_other_zero() -> None:
    body: dict[str, Any] = {"confidence": 0.0, "meta": {}}
    lines = [request_line(answered_values(1, 0.5, 0.5, 0.1, 200, {**body, "confidence": c}, None, None))
             for c in (0.0, -0.0, 0.0, 0.25, 0.25)]
    assert [line is not None and json.loads(line)["confidence"] for line in lines] == [0.0, -0.0, 0.0, 0.25, 0.25]
    assert [line and '"confidence": -0.0,' in line for line in lines] == [False, True, False, False, False]


@settings(max_examples=300)
@given(rid=st.integers(0, 10**7), intended=times, latency=times, body=bodies, gold=golds,
       prompt_id=st.one_of(st.none(), texts))
def test_an_answer_s_line_is_the_record_s_line(rid: int, intended: float, latency: float, body: Any,
                                               gold: Gold | None, prompt_id: str | None) -> None:
    answer = answer_values_of(200, body, gold)
    full = request_line((rid, intended, intended, latency, *answer, prompt_id, None))
    line = answer_line(rid, intended, latency, answer, prompt_id)
    assert line == full
    tail = record_tail(latency, answer, prompt_id)
    assert (tail is None) is (line is None) or not math.isfinite(intended)
    if line is not None:
        assert line == _encoded((rid, intended, intended, latency, *answer, prompt_id, None))
        assert head_line(rid, intended, tail or "") == line


@settings(max_examples=60)
@given(body=bodies, gold=golds, latency=times)
def test_run_files_write_every_answer_as_the_encoder_does(tmp_path_factory: Any, body: Any, gold: Gold | None,
                                                          latency: float) -> None:
    # formatted or declined (a wrong answer's evidence, a non-finite latency), the file holds the encoder's line
    answer = answer_values_of(200, body, gold)
    run_dir = tmp_path_factory.mktemp("run")
    files = RunFiles(run_dir)
    files.answer(7, 1.25, latency, answer, "c000001")
    files.requests.close()
    line = (run_dir / "requests.jsonl").read_text(encoding="utf-8")
    assert line == _encoded((7, 1.25, 1.25, latency, *answer, "c000001", None)) + "\n"
