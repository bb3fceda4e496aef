"""Turn one request's fate into exactly one ``RequestRecord``.

Pure: the caller measures the times and performs the I/O; this module only
decides what the answer means (``docs/contracts.md`` section 6).
"""

from __future__ import annotations

import json
import math
from typing import Any

from reports.records import FAILED, LOST, OK, RequestRecord

from .prompts import Gold, normalise

__all__ = ["BAD_RESPONSE", "answered", "failed", "is_correct", "lost"]

#: a 2xx whose body is not the contract's JSON: the user got nothing usable
BAD_RESPONSE = "bad_response"


def _bool(meta: dict[str, Any], key: str) -> bool:
    return meta.get(key) is True


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _resolved(entities: dict[str, Any], key: str) -> object:
    field = entities.get(key)
    return field.get("resolved") if isinstance(field, dict) else None


def _same(got: object, want: str | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return isinstance(got, str) and normalise(got) == normalise(want)


def is_correct(body: dict[str, Any], gold: Gold) -> bool:
    entities = body.get("entities")
    if not isinstance(entities, dict):
        return False
    return (
        _same(entities.get("contacto"), gold.contacto)
        and _same(_resolved(entities, "fecha"), gold.fecha_iso)
        and _same(_resolved(entities, "hora"), gold.hora_hhmm)
    )


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
    common: dict[str, Any] = {
        "id": rid,
        "intended_s": intended_s,
        "sent_s": sent_s,
        "latency_s": latency_s,
        "status": status,
        "prompt_id": prompt_id,
    }
    if not 200 <= status < 300:
        return RequestRecord(outcome=FAILED, error=f"http_{status}", **common)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return RequestRecord(outcome=FAILED, error=BAD_RESPONSE, **common)
    raw_meta = data.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    provider = meta.get("provider")
    attempts = meta.get("attempts")
    return RequestRecord(
        outcome=OK,
        provider=provider if isinstance(provider, str) else None,
        attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
        cache_hit=_bool(meta, "cache_hit"),
        fallback=_bool(meta, "fallback"),
        degraded=_bool(meta, "degraded"),
        conservation=_bool(meta, "conservation"),
        json_error=_bool(meta, "json_error"),
        agent_s=_number(meta.get("agent_s")),
        confidence=_number(data.get("confidence")),
        correct=None if gold is None else is_correct(data, gold),
        **common,
    )


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
    )


def lost(rid: int, intended_s: float, sent_s: float | None, prompt_id: str | None) -> RequestRecord:
    """A request the run ended before it resolved."""
    return RequestRecord(
        id=rid, intended_s=intended_s, sent_s=sent_s, latency_s=None, outcome=LOST, prompt_id=prompt_id
    )
