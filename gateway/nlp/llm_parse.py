"""The parsing and negotiation agents' side of the LLM wire contract (contract section 2).

The parsing agent's system message carries ``PARSE_MARKER`` and its last user
message is exactly the user's prompt. The answer must be one JSON object with
exactly the keys ``contacto``, ``fecha``, ``hora``, ``lugar`` (string or null)
and ``confidence`` (number in [0, 1]). What is tolerated, and what is not:

- surrounding whitespace, and one fence around the object (```` ```json ```` or
  ```` ``` ````) — models add it even when told not to, and it hides nothing;
- an empty string field is read as null;
- *not* prose before or after the object, a missing or extra key, a wrong
  type, a non-finite or out-of-range confidence, or an answer over 64 KiB: each
  raises ``LlmAnswerError`` whose ``reason`` names what is wrong, so the gateway
  counts a JSON error (runbook: ``parsing_json_error_rate``) instead of guessing.

``fecha`` and ``hora`` are the original expressions; they are resolved here with
``temporal`` against the request's reference date. Pure: no I/O, no clock.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import date
from typing import Any

from gateway.outcomes import Message

from .entities import Ambiguity, DateExpression, Entities, ParseResult, TimeExpression
from .temporal import resolve_date, resolve_time

__all__ = [
    "ANSWER_KEYS",
    "NEGOTIATE_MARKER",
    "PARSE_MARKER",
    "LlmAnswerError",
    "build_negotiation_messages",
    "build_parse_messages",
    "parse_llm_answer",
]

PARSE_MARKER = "llmdrill:parse-appointment/v1"
NEGOTIATE_MARKER = "llmdrill:negotiate/v1"
ANSWER_KEYS: tuple[str, ...] = ("contacto", "fecha", "hora", "lugar", "confidence")
_MAX_ANSWER_CHARS = 64 * 1024

_PARSE_SYSTEM = "\n".join((
    f"[{PARSE_MARKER}]",
    "Eres un asistente que extrae los datos de una solicitud de cita escrita en español.",
    "Responde únicamente con un objeto JSON, sin texto adicional, con exactamente estas claves:",
    '{"contacto": string|null, "fecha": string|null, "hora": string|null, "lugar": string|null,'
    ' "confidence": number}',
    '- contacto: la persona con su título tal como aparece ("Dr. Pérez", "Dra. Núñez", "Ana Gómez"),'
    ' sin "con".',
    '- fecha: la expresión de fecha tal como aparece ("mañana", "próximo lunes", "5 de marzo");'
    " no la conviertas.",
    '- hora: la expresión de hora tal como aparece ("10am", "3:30pm", "3 de la tarde", "mediodía");'
    " no la conviertas.",
    '- lugar: el lugar si se menciona ("clínica Norte", "Polanco"), si no null.',
    "- confidence: tu confianza entre 0 y 1.",
    "Usa null para lo que no aparezca. Ejemplo:",
    '"cita mañana 10am con Dr. Pérez" -> {"contacto": "Dr. Pérez", "fecha": "mañana", "hora": "10am",'
    ' "lugar": null, "confidence": 0.92}',
))

# Conservation mode's "versión corta": fewer prompt tokens, same marker, same schema.
_PARSE_SYSTEM_SHORT = f"""[{PARSE_MARKER}]
Extrae de la cita solo este JSON, sin texto extra; fecha y hora tal como aparecen; null si falta:
{{"contacto": str|null, "fecha": str|null, "hora": str|null, "lugar": str|null, "confidence": 0..1}}"""

_NEGOTIATE_SYSTEM = f"""[{NEGOTIATE_MARKER}]
Eres un asistente de agenda. Con los datos de la cita que te doy, redacta en español una respuesta breve
(una o dos frases) para confirmar la cita con el usuario o pedirle lo que falte."""



class LlmAnswerError(ValueError):
    """The model's answer is not the JSON object the contract asks for."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_parse_messages(prompt: str, short: bool = False) -> tuple[Message, ...]:
    """System prompt with ``PARSE_MARKER``, then the user's prompt verbatim as the last message."""
    return (
        Message("system", _PARSE_SYSTEM_SHORT if short else _PARSE_SYSTEM),
        Message("user", prompt),
    )


def _unwrap(text: str) -> str:
    body = text.strip()
    if body.startswith("```"):
        # Plain string work, not a regex: a lazy pattern over 64 KiB of spaces is quadratic.
        if len(body) < 6 or not body.endswith("```"):
            raise LlmAnswerError("unclosed ``` fence around the answer")
        body = body[3:-3].strip()
        if body[:4].lower() == "json":
            body = body[4:].strip()
    if not body:
        raise LlmAnswerError("empty answer")
    if not body.startswith("{"):
        raise LlmAnswerError(f"answer does not start with a JSON object: {body[:40]!r}")
    return body


def _load(text: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise LlmAnswerError(f"answer must be text, got {type(text).__name__}")
    if len(text) > _MAX_ANSWER_CHARS:
        raise LlmAnswerError(f"answer too long: {len(text)} characters (limit {_MAX_ANSWER_CHARS})")
    body = _unwrap(text)
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        # "Extra data" is prose (or a second object) after the JSON.
        raise LlmAnswerError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise LlmAnswerError("invalid JSON: nested too deeply") from None
    if not isinstance(value, dict):
        raise LlmAnswerError(f"answer must be a JSON object, got {type(value).__name__}")
    missing = [k for k in ANSWER_KEYS if k not in value]
    extra = sorted(k for k in value if k not in ANSWER_KEYS)
    if missing or extra:
        parts = ([f"missing key(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected key(s) {', '.join(extra)}"] if extra else []
        )
        raise LlmAnswerError("wrong schema: " + "; ".join(parts))
    return value


def _text_field(answer: dict[str, Any], key: str) -> str | None:
    value = answer[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise LlmAnswerError(f"field {key!r} must be a string or null, got {type(value).__name__}")
    return value.strip() or None


def _confidence(answer: dict[str, Any]) -> float:
    value = answer["confidence"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LlmAnswerError(f"field 'confidence' must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise LlmAnswerError(f"field 'confidence' must be within [0, 1], got {value!r}")
    return float(value)


# Pure and its result immutable (frozen dataclasses, tuples), so memoising it changes nothing but the time:
# providers give the same answer text for the same prompt again and again (the twin: ~25 % of its time).
# An answer that fails raises every time (lru_cache keeps no exceptions).
@functools.lru_cache(maxsize=4096)
def parse_llm_answer(text: str, reference: date) -> ParseResult:
    """The model's JSON answer as a ``ParseResult`` (source "llm"), dates and times resolved."""
    answer = _load(text)
    contacto, fecha_text, hora_text, lugar = (
        _text_field(answer, k) for k in ("contacto", "fecha", "hora", "lugar")
    )
    confidence = _confidence(answer)
    ambiguities: list[Ambiguity] = []
    if contacto is None:
        ambiguities.append(Ambiguity("contacto", "missing", "Falta el contacto (¿con quién es la cita?)"))

    fecha: DateExpression | None = None
    if fecha_text is None:
        ambiguities.append(Ambiguity("fecha", "missing", "Falta la fecha (¿qué día?)"))
    else:
        # An expression we cannot resolve is kept as said, typed "relative" (the open-ended kind).
        fecha = resolve_date(fecha_text, reference) or DateExpression(fecha_text, "relative", None)
        if fecha.resolved is None:
            message = f"No se pudo interpretar la fecha «{fecha_text}»"
            ambiguities.append(Ambiguity("fecha", "unresolved", message))

    hora: TimeExpression | None = None
    if hora_text is None:
        ambiguities.append(Ambiguity("hora", "missing", "Falta la hora (¿a qué hora?)"))
    else:
        hora = resolve_time(hora_text) or TimeExpression(hora_text, None)
        if hora.resolved is None:
            message = f"No se pudo interpretar la hora «{hora_text}»"
            ambiguities.append(Ambiguity("hora", "unresolved", message))

    return ParseResult(
        entities=Entities(contacto=contacto, fecha=fecha, hora=hora, lugar=lugar),
        confidence=confidence,
        ambiguities=tuple(ambiguities),
        source="llm",
    )


def build_negotiation_messages(result: ParseResult) -> tuple[Message, ...]:
    """System prompt with ``NEGOTIATE_MARKER``; the user message carries the parsed appointment."""
    details = json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True)
    return (
        Message("system", _NEGOTIATE_SYSTEM),
        Message("user", f"Datos de la cita: {details}"),
    )
