"""Turn one request's fate into exactly one ``RequestRecord``.

Pure: the caller measures the times and performs the I/O; this module only
decides what the answer means (``docs/contracts.md`` section 6).

Validation false positives (the runbook's ``validation_false_positive_rate``): the gateway's
validation agent reports ``{"validation": {"valid": bool, "issues": [...]}}`` in a 200's body.  A
request whose gold is *valid* — it names a contact, a date and a time, and the clinic is open then
(``fake_providers.corpus.is_bookable``, the oracle) — and that validation called invalid is a false
positive.  Against a gold that is itself incomplete or out of hours, "invalid" is the right verdict, so
such a request has no false-positive value.

A client exception that is not a network failure (``client_error:*``) is the harness failing, not the
stack: the record says so (``harness_error``) and the report counts it apart.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, fields
from typing import Any

from fake_providers.corpus import is_bookable
from reports.records import FAILED, LOST, OK, RequestRecord

from .prompts import Gold, normalise

__all__ = [
    "BAD_RESPONSE",
    "HARNESS_ERROR_PREFIX",
    "answer_values",
    "answered",
    "answered_data",
    "answered_row",
    "answered_values",
    "failed",
    "gold_entities",
    "gold_valid",
    "is_correct",
    "lost",
    "served_entities",
]

#: a 2xx whose body is not the contract's JSON: the user got nothing usable
BAD_RESPONSE = "bad_response"
#: ``drill.load.http`` names an exception of the client itself ``client_error:<type>``
HARNESS_ERROR_PREFIX = "client_error:"


_INF = math.inf


def _number(value: object) -> float | None:
    if type(value) is float:   # the common case, as float() of a float is the float itself
        return value if -math.inf < value < math.inf else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _resolved(entities: dict[str, Any], key: str) -> object:
    field = entities.get(key)
    return field.get("resolved") if isinstance(field, dict) else None


def _same(got: object, want: str | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    # equal texts normalise equally: most answers are right, and need no normalising
    return isinstance(got, str) and (got == want or normalise(got) == normalise(want))


def is_correct(body: dict[str, Any], gold: Gold) -> bool:
    entities = body.get("entities")
    if not isinstance(entities, dict):
        return False
    contacto, fecha, hora = entities.get("contacto"), entities.get("fecha"), entities.get("hora")
    # ``_resolved`` of each, without its two calls
    fecha = fecha.get("resolved") if isinstance(fecha, dict) else None
    hora = hora.get("resolved") if isinstance(hora, dict) else None
    # most answers are right and written as gold writes them: plain equal texts (or both None) need no
    # ``_same``, which any other answer still gets
    want_c, want_f, want_h = gold.contacto, gold.fecha_iso, gold.hora_hhmm
    if ((contacto is None is want_c or (type(contacto) is str is type(want_c) and contacto == want_c))
            and (fecha is None is want_f or (type(fecha) is str is type(want_f) and fecha == want_f))
            and (hora is None is want_h or (type(hora) is str is type(want_h) and hora == want_h))):
        return True
    return _same(contacto, want_c) and _same(fecha, want_f) and _same(hora, want_h)


def served_entities(body: dict[str, Any]) -> dict[str, str | None]:
    """What an answer gave, in gold's terms (contact, resolved date, resolved time): a report's example."""
    raw = body.get("entities")
    entities: dict[str, Any] = raw if isinstance(raw, dict) else {}
    out: dict[str, str | None] = {}
    for key, value in (("contacto", entities.get("contacto")), ("fecha", _resolved(entities, "fecha")),
                       ("hora", _resolved(entities, "hora"))):
        out[key] = value if isinstance(value, str) else None if value is None else str(value)
    return out


def gold_entities(gold: Gold) -> dict[str, str | None]:
    return {"contacto": gold.contacto, "fecha": gold.fecha_iso, "hora": gold.hora_hhmm}


def gold_valid(gold: Gold) -> bool:
    """What validation should accept: complete, and bookable by the corpus's own rule (opening hours)."""
    return is_bookable(gold.contacto, gold.fecha_iso, gold.hora_hhmm)


def answered(
    rid: int,
    intended_s: float,
    sent_s: float,
    latency_s: float,
    status: int,
    body: bytes,
    prompt_id: str | None,
    gold: Gold | None,
) -> RequestRecord:
    """A request that got an HTTP answer (any status)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    return answered_data(rid, intended_s, sent_s, latency_s, status, data, prompt_id, gold)


def answered_data(
    rid: int,
    intended_s: float,
    sent_s: float,
    latency_s: float,
    status: int,
    data: Any,
    prompt_id: str | None,
    gold: Gold | None,
) -> RequestRecord:
    """:func:`answered` on the body already decoded (``None``: not JSON), as the twin holds it.

    The twin's body is the gateway core's JSON-ready value; encoding it only to decode it here cost the
    twin ~10 % of its time.
    """
    return RequestRecord(*answered_values(rid, intended_s, sent_s, latency_s, status, data, prompt_id, gold))


#: the record's fields in order; ``answered_values`` writes their defaults into its tuples by hand, so a
#: field added, moved or given another default must change them too
_FIELDS = tuple(f.name for f in fields(RequestRecord))
_DEFAULTS = (("id", MISSING), ("intended_s", MISSING), ("sent_s", MISSING), ("latency_s", MISSING),
             ("outcome", MISSING), ("status", None), ("error", None), ("provider", None), ("attempts", 0),
             ("cache_hit", False), ("fallback", False), ("degraded", False), ("conservation", False),
             ("confidence", None), ("json_error", False), ("correct", None), ("validation_invalid", None),
             ("validation_fp", None), ("harness_error", False), ("served", None), ("gold", None),
             ("agent_s", None), ("prompt_id", None), ("phase", None))
if tuple((f.name, f.default) for f in fields(RequestRecord)) != _DEFAULTS:  # pragma: no cover
    raise ImportError("workload.outcome: RequestRecord's fields changed; update answered_values' tuples")
_NO_META: dict[str, Any] = {}


def answered_values(
    rid: int,
    intended_s: float,
    sent_s: float,
    latency_s: float,
    status: int,
    data: Any,
    prompt_id: str | None,
    gold: Gold | None,
) -> tuple[Any, ...]:
    """:func:`answered_data`'s record as its values in field order (every field, defaults included).

    One mapping, rendered three ways: the record (``answered_data``), its dict (``answered_row``) and, in
    the twin, its JSON line (``sim.request_line``), which relies on what this guarantees of the values it
    computes itself: the flags are bools (``is True``), ``confidence`` and ``agent_s`` a finite ``float``
    or None, ``outcome`` and ``error`` plain strings, ``validation_invalid`` and ``validation_fp`` a bool
    or None, ``harness_error`` False and ``phase`` None.
    """
    return (rid, intended_s, sent_s, latency_s, *answer_values(status, data, gold), prompt_id, None)


def answer_values(status: int, data: Any, gold: Gold | None) -> tuple[Any, ...]:
    """The values of :func:`answered_values` that come of the answer alone: every field from ``outcome``
    to ``agent_s``, in order (neither the request's id, times, prompt id nor phase).  A pure function of
    its arguments, which the twin keeps for answers it is handed again (``sim.kept_records``); nothing
    reads the dicts it returns but to encode them."""
    raw_meta = data.get("meta") if isinstance(data, dict) else None
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else _NO_META
    if not 200 <= status < 300:
        # the gateway's pipeline time of a failure, when it says: agent_p95 sees errors too
        return (FAILED, status, f"http_{status}", None, 0, False, False, False, False, None, False, None, None,
                None, False, None, None, _number(meta.get("agent_s")))
    if not isinstance(data, dict):
        return (FAILED, status, BAD_RESPONSE, None, 0, False, False, False, False, None, False, None, None, None,
                False, None, None, None)
    # validation's verdict (a JSON bool, else none) and, against a bookable gold, whether it is a false positive
    validation = data.get("validation")
    valid = validation.get("valid") if isinstance(validation, dict) else None
    invalid = (not valid) if isinstance(valid, bool) else None
    false_positive = invalid if invalid is not None and gold is not None and gold_valid(gold) else None
    correct = None if gold is None else is_correct(data, gold)
    # a wrong answer keeps its evidence (what was served, what gold says): the report shows examples
    wrong = gold is not None and correct is False
    provider, attempts, agent_s = meta.get("provider"), meta.get("attempts"), meta.get("agent_s")
    confidence = data.get("confidence")
    # a flag is set only by a JSON true (``is True``: not 1, not "yes"); a finite float is its own number
    # (``_number``'s first case, without the call)
    return (OK, status, None, provider if isinstance(provider, str) else None,
            attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
            meta.get("cache_hit") is True, meta.get("fallback") is True, meta.get("degraded") is True,
            meta.get("conservation") is True,
            confidence if type(confidence) is float and -_INF < confidence < _INF else _number(confidence),
            meta.get("json_error") is True, correct, invalid,
            false_positive, False,
            served_entities(data) if wrong else None, gold_entities(gold) if wrong and gold is not None else None,
            agent_s if type(agent_s) is float and -_INF < agent_s < _INF else _number(agent_s))


def answered_row(
    rid: int,
    intended_s: float,
    sent_s: float,
    latency_s: float,
    status: int,
    data: Any,
    prompt_id: str | None,
    gold: Gold | None,
) -> dict[str, Any]:
    """:func:`answered_data`'s record as the dict ``asdict`` makes of it: keys in field order, every field."""
    return dict(zip(_FIELDS, answered_values(rid, intended_s, sent_s, latency_s, status, data, prompt_id, gold),
                    strict=True))


def failed(
    rid: int, intended_s: float, sent_s: float | None, latency_s: float, error: str, prompt_id: str | None
) -> RequestRecord:
    """A request that got no HTTP answer: client timeout, refused or reset connection."""
    return RequestRecord(
        id=rid,
        intended_s=intended_s,
        sent_s=sent_s,
        latency_s=latency_s,
        outcome=FAILED,
        error=error,
        prompt_id=prompt_id,
        harness_error=error.startswith(HARNESS_ERROR_PREFIX),
    )


def lost(rid: int, intended_s: float, sent_s: float | None, prompt_id: str | None) -> RequestRecord:
    """A request the run ended before it resolved."""
    return RequestRecord(
        id=rid, intended_s=intended_s, sent_s=sent_s, latency_s=None, outcome=LOST, prompt_id=prompt_id
    )
