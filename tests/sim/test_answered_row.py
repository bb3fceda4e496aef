"""``workload.outcome.answered_row`` is the dict of the record the plain mapping builds, key for key, in order.

The reference below is the mapping as it was written before the twin's row path (a ``RequestRecord``
built field by field, its gold compared after normalising both sides), kept here as the oracle.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, fields
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.corpus import is_bookable
from reports.records import FAILED, OK, RequestRecord
from workload.outcome import BAD_RESPONSE, answered_data, answered_row
from workload.prompts import Gold


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _same(got: object, want: str | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return isinstance(got, str) and _norm(got) == _norm(want)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _resolved(entities: dict[str, Any], key: str) -> object:
    field = entities.get(key)
    return field.get("resolved") if isinstance(field, dict) else None


def _served(entities: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in (("contacto", entities.get("contacto")), ("fecha", _resolved(entities, "fecha")),
                       ("hora", _resolved(entities, "hora"))):
        out[key] = value if isinstance(value, str) else None if value is None else str(value)
    return out


def reference(rid: int, t: float, latency: float, status: int, data: Any, prompt_id: str | None,
              gold: Gold | None) -> RequestRecord:
    common: dict[str, Any] = {"id": rid, "intended_s": t, "sent_s": t, "latency_s": latency, "status": status,
                              "prompt_id": prompt_id}
    raw_meta = data.get("meta") if isinstance(data, dict) else None
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    if not 200 <= status < 300:
        return RequestRecord(outcome=FAILED, error=f"http_{status}", agent_s=_number(meta.get("agent_s")), **common)
    if not isinstance(data, dict):
        return RequestRecord(outcome=FAILED, error=BAD_RESPONSE, **common)
    validation = data.get("validation")
    invalid = None if not isinstance(validation, dict) or not isinstance(validation.get("valid"), bool) \
        else not validation["valid"]
    correct = None
    if gold is not None:
        entities = data.get("entities")
        correct = isinstance(entities, dict) and _same(entities.get("contacto"), gold.contacto) \
            and _same(_resolved(entities, "fecha"), gold.fecha_iso) \
            and _same(_resolved(entities, "hora"), gold.hora_hhmm)
    wrong = gold is not None and correct is False
    raw = data.get("entities")
    provider, attempts = meta.get("provider"), meta.get("attempts")
    fp = None if invalid is None or gold is None or not is_bookable(gold.contacto, gold.fecha_iso, gold.hora_hhmm) \
        else invalid
    return RequestRecord(
        outcome=OK, provider=provider if isinstance(provider, str) else None,
        attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
        cache_hit=meta.get("cache_hit") is True, fallback=meta.get("fallback") is True,
        degraded=meta.get("degraded") is True, conservation=meta.get("conservation") is True,
        json_error=meta.get("json_error") is True, agent_s=_number(meta.get("agent_s")),
        confidence=_number(data.get("confidence")), correct=correct,
        served=_served(raw if isinstance(raw, dict) else {}) if wrong else None,
        gold={"contacto": gold.contacto, "fecha": gold.fecha_iso, "hora": gold.hora_hhmm}
        if wrong and gold is not None else None,
        validation_invalid=invalid, validation_fp=fp, **common)


names = st.one_of(st.sampled_from(["Dra. Ruiz", "dra.  ruiz", "DRA. RUIZ", "Juan", "José", "Jose\u0301"]),
                  st.none(), st.integers(0, 3), st.text(max_size=4))
times = st.one_of(st.sampled_from(["10:00", "10:00 ", "22:00", "2026-01-06", "2026-01-05"]), st.none(),
                  st.integers(0, 3))
resolved: st.SearchStrategy[Any] = st.one_of(st.fixed_dictionaries({"resolved": times}), st.none(), times,
                                             st.just({}))
flags = st.one_of(st.booleans(), st.none(), st.integers(0, 1), st.just("yes"))
numbers = st.one_of(st.floats(0, 1), st.sampled_from([math.inf, -math.inf, math.nan, -0.0, 0.0]), st.none(),
                    st.booleans(), st.integers(-2, 10), st.just("0.5"))
metas = st.one_of(st.fixed_dictionaries({
    "provider": st.one_of(st.none(), st.sampled_from(["qwen", "claude"]), st.integers(0, 1)),
    "attempts": numbers, "cache_hit": flags, "fallback": flags, "degraded": flags, "conservation": flags,
    "json_error": flags, "agent_s": numbers}), st.none(), st.just("meta"), st.just({}))
entities = st.one_of(st.fixed_dictionaries({"contacto": names, "fecha": resolved, "hora": resolved}),
                     st.none(), st.just("x"), st.just({}))
bodies = st.one_of(st.fixed_dictionaries({
    "entities": entities, "confidence": numbers, "meta": metas,
    "validation": st.one_of(st.fixed_dictionaries({"valid": flags}), st.none(), st.just({}))}),
    st.none(), st.just([1]), st.just({}))
golds = st.one_of(st.builds(Gold, st.sampled_from([None, "Dra. Ruiz", "José", "Juan"]),
                            st.sampled_from([None, "2026-01-06", "2026-01-05"]),
                            st.sampled_from([None, "10:00", "22:00"])), st.none())


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 1 << 40), st.floats(0, 1e6), st.floats(0, 60),
       st.sampled_from([200, 200, 200, 204, 299, 300, 429, 503]), bodies, st.one_of(st.none(), st.text(max_size=6)),
       golds)
def test_a_row_is_the_reference_record_as_a_dict(rid: int, t: float, latency: float, status: int, data: Any,
                                                  prompt_id: str | None, gold: Gold | None) -> None:
    row = answered_row(rid, t, t, latency, status, data, prompt_id, gold)
    want = asdict(reference(rid, t, latency, status, data, prompt_id, gold))
    assert list(row) == [f.name for f in fields(RequestRecord)]
    # repr, not ==: NaN never equals itself, and -0.0 must stay -0.0
    assert repr(list(row.items())) == repr(list(want.items()))
    # the live record, from the same values
    record = answered_data(rid, t, t, latency, status, data, prompt_id, gold)
    assert repr(list(asdict(record).items())) == repr(list(want.items()))


def _variant(text: str | None, how: int) -> object:
    if text is None:
        return None if how else ""
    return [text, text.upper(), f"  {text} ", unicodedata.normalize("NFD", text), text + "x",
            text.replace(" ", "  ")][how]


@settings(max_examples=200, deadline=None)
@given(golds.filter(lambda g: g is not None), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5))
def test_a_right_answer_written_otherwise_is_judged_as_the_reference_judges_it(
        gold: Gold, c: int, f: int, h: int) -> None:
    body = {"entities": {"contacto": _variant(gold.contacto, c), "fecha": {"resolved": _variant(gold.fecha_iso, f)},
                         "hora": {"resolved": _variant(gold.hora_hhmm, h)}}, "confidence": 0.9}
    row = answered_row(1, 0.0, 0.0, 0.1, 200, body, "p", gold)
    assert repr(list(row.items())) == repr(list(asdict(reference(1, 0.0, 0.1, 200, body, "p", gold)).items()))
