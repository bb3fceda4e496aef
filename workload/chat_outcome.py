"""Turn one answer of an OpenAI chat-completions endpoint into exactly one ``RequestRecord``.

The chat load (``load.endpoint: chat``) asks the gateway the parsing agent's own question
(``docs/contracts.md`` section 2: a system message with ``llmdrill:parse-appointment/v1``, the user's
prompt as the last user message).  The answer's assistant content is the contract's JSON object;
its ``fecha`` and ``hora`` are the *original expressions*, so they are compared with gold's
``fecha``/``hora``, not with the resolved ``fecha_iso``/``hora_hhmm`` that the parse endpoint answers.

What the user can see from outside is all a chat answer tells: status, envelope, content, confidence.
Our gateway adds ``x-llmdrill-provider``/``-cache``/``-attempts`` headers, read when present; a gateway
that is not ours sends none, and those fields stay unknown (``provider`` None, no cache hit claimed).
A chat request asks an LLM by definition, so without the header it counts one attempt: that is the
population of the runbook's JSON-error rate, not a claim about the gateway's retries.

Pure: the caller measures the times and performs the I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from reports.records import FAILED, OK, RequestRecord

from .outcome import BAD_RESPONSE
from .prompts import Gold, normalise

__all__ = ["chat_answered", "chat_content", "chat_correct", "chat_entities"]

_FIELDS = ("contacto", "fecha", "hora")


def chat_content(data: object) -> str | None:
    """The assistant content of a chat-completion body, or None when the envelope is not one."""
    if not isinstance(data, dict):
        return None
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None


def chat_entities(content: str) -> dict[str, Any] | None:
    """The contract's JSON object in the content (a fenced ```json block is unwrapped), or None."""
    text = content.strip()
    if text.startswith("```") and text.endswith("```") and len(text) >= 6:
        text = text[3:-3]
        text = text[4:] if text.startswith("json") else text
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _same(got: object, want: str | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return isinstance(got, str) and normalise(got) == normalise(want)


def chat_correct(entities: Mapping[str, Any], gold: Gold) -> bool | None:
    """Contact, date and time as written match gold; None when gold lacks the original expressions."""
    if (gold.fecha_iso is not None and gold.fecha is None) or (gold.hora_hhmm is not None and gold.hora is None):
        return None   # a prompts file with resolved gold only cannot judge a chat answer
    return all(_same(entities.get(k), w) for k, w in zip(_FIELDS, (gold.contacto, gold.fecha, gold.hora),
                                                         strict=True))


def _served(entities: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key in _FIELDS:
        value = entities.get(key)
        out[key] = value if isinstance(value, str) else None if value is None else str(value)
    return out


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    return int(raw) if raw is not None and raw.isdigit() else None


def chat_answered(
    rid: int,
    intended_s: float,
    sent_s: float,
    latency_s: float,
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    prompt_id: str | None,
    gold: Gold | None,
) -> RequestRecord:
    """A chat request that got an HTTP answer (any status); ``headers`` with lower-case names."""
    common: dict[str, Any] = {"id": rid, "intended_s": intended_s, "sent_s": sent_s, "latency_s": latency_s,
                              "status": status, "prompt_id": prompt_id}
    if not 200 <= status < 300:
        return RequestRecord(outcome=FAILED, error=f"http_{status}", **common)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    content = chat_content(data)
    if content is None:
        return RequestRecord(outcome=FAILED, error=BAD_RESPONSE, **common)
    provider = headers.get("x-llmdrill-provider") or None
    cache_hit = headers.get("x-llmdrill-cache") == "hit"
    attempts = _int_header(headers, "x-llmdrill-attempts")
    known: dict[str, Any] = {"provider": provider, "cache_hit": cache_hit,
                             "attempts": 1 if attempts is None else attempts}
    entities = chat_entities(content)
    if entities is None:
        # the user's parser gets nothing: an answer, useless; the runbook's JSON error
        return RequestRecord(outcome=OK, json_error=True, correct=None if gold is None else False, **known,
                             **common)
    correct = None if gold is None else chat_correct(entities, gold)
    wrong = gold is not None and correct is False
    return RequestRecord(
        outcome=OK,
        confidence=_number(entities.get("confidence")),
        correct=correct,
        served=_served(entities) if wrong else None,
        gold=dict(zip(_FIELDS, (gold.contacto, gold.fecha, gold.hora), strict=True)) if wrong and gold else None,
        **known,
        **common,
    )
