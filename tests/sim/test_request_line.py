"""``request_line`` writes a request row as the plain JSON encoder does, or declines (bench/bench_sim.py)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.records import RequestRecord
from sim.records import _encode
from sim.request_line import request_line
from workload.outcome import answered_row
from workload.prompts import Gold

PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)
KEYS = [f.name for f in dataclasses.fields(RequestRecord)]
formatted: list[bool] = []

texts = st.one_of(st.text(max_size=6), st.sampled_from(["qwen", "ok", "\u2028", '"\\', "é"]))
floats = st.one_of(st.floats(), st.sampled_from([-0.0, 1e-7, 1e16, 0.1 + 0.2, float("inf"), float("-inf"),
                                                 float("nan")]))
junk = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), floats, texts,
                 st.dictionaries(st.text(max_size=3), st.one_of(st.none(), texts), max_size=2))


#: each field's own type, mostly: most generated rows are formattable, and the rest are junk somewhere
typed: dict[str, st.SearchStrategy[Any]] = {
    **{k: st.booleans() for k in ("cache_hit", "fallback", "degraded", "conservation", "json_error",
                                  "harness_error")},
    **{k: st.one_of(st.none(), st.booleans()) for k in ("correct", "validation_invalid", "validation_fp")},
    **{k: st.integers(-(1 << 70), 1 << 70) for k in ("id", "status", "attempts")},
    **{k: floats for k in ("intended_s", "sent_s", "latency_s")},
    **{k: st.one_of(st.none(), floats) for k in ("confidence", "agent_s")},
    "outcome": texts, **{k: st.one_of(st.none(), texts) for k in ("error", "provider", "prompt_id")},
    "served": st.none(), "gold": st.none(), "phase": st.none(),
}


@settings(max_examples=400)
@given(st.fixed_dictionaries(typed), st.one_of(st.none(), st.tuples(st.sampled_from(KEYS), junk)),
       st.sampled_from([None, "drop", "swap", "extra"]), st.booleans())
def test_any_row_is_the_encoder_s_line_or_declined(row: dict[str, Any], junked: tuple[str, Any] | None,
                                                   change: str | None, sent_is_intended: bool) -> None:
    row = {k: row[k] for k in KEYS}
    if junked is not None:
        row[junked[0]] = junked[1]
    if sent_is_intended:
        row["sent_s"] = row["intended_s"]
    if change == "drop":
        del row["phase"]
    elif change == "swap":
        row = {"intended_s": row.pop("intended_s"), **row}
    elif change == "extra":
        row["more"] = 1
    line = request_line(row)
    assert line is None or line == PLAIN_ENCODER.encode(row) == _encode(row)
    formatted.append(line is not None)
    if change is not None:
        assert line is None


golds = st.one_of(st.none(), st.builds(Gold, st.sampled_from(["Dr Núñez", "Ana"]),
                                       st.sampled_from(["2026-01-24", None]), st.sampled_from(["11:45", None])))
answer_values = st.one_of(st.none(), st.booleans(), st.integers(0, 3), st.floats(0, 1), st.text(max_size=4))


@settings(max_examples=300)
@given(rid=st.integers(0, 10**7), intended=st.floats(0, 1e6), latency=st.floats(0, 100),
       status=st.sampled_from([200, 429, 503]), gold=golds,
       meta=st.dictionaries(st.sampled_from(["provider", "attempts", "cache_hit", "fallback", "degraded",
                                             "conservation", "json_error", "agent_s"]), answer_values),
       contacto=st.sampled_from(["Dr Núñez", "Ana", None]), valid=st.one_of(st.none(), st.booleans()),
       confidence=st.one_of(st.none(), st.floats(0, 1)))
def test_the_twin_s_rows_are_formatted_unless_wrong(rid: int, intended: float, latency: float, status: int,
                                                    gold: Gold | None, meta: dict[str, Any], contacto: str | None,
                                                    valid: bool | None, confidence: float | None) -> None:
    body: dict[str, Any] = {"entities": {"contacto": contacto, "fecha": {"resolved": "2026-01-24"},
                                         "hora": {"resolved": "11:45"}},
                            "confidence": confidence, "meta": meta}
    if valid is not None:
        body["validation"] = {"valid": valid, "issues": []}
    row = answered_row(rid, intended, intended, latency, status, body, "c000001", gold)
    line = request_line(row)
    if row["served"] is None:   # a wrong answer's evidence is nested: the encoder's
        assert line is not None
    assert line is None or line == PLAIN_ENCODER.encode(row)


def test_the_generated_rows_reached_the_formatter() -> None:
    formatted.clear()
    test_any_row_is_the_encoder_s_line_or_declined()
    assert any(formatted) and not all(formatted)
