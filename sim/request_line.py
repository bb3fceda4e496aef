"""A request record's JSON line, formatted directly: one per request, the twin's largest single write.

``sim.records._encode`` (the C encoder) turns a request row into ~100 chunks and joins them: ~9 us of
a ~65 us request here.  The twin's request record is ``workload.outcome.answered_values``: its 24
values in ``RequestRecord``'s field order and, unless an answer was wrong, only flat ones, so one
f-string writes the same line in about a third of the time (and the float repr of ``intended_s`` once,
as the twin's ``sent_s`` is the same float).  The bytes are the encoder's (a property test checks): a
finite float as ``float.__repr__``, an int as ``int.__repr__``, a string by the encoder's own function,
a bool or None as the JSON literal.  The values ``answered_values`` computes itself have the types its
docstring guarantees (bools, finite floats or None, plain strings) and are written unchecked; the ones
it passes through from its caller or the body (id, times, status, provider, attempts, the verdict, the
prompt id) are checked here, exact types only, so ``!r`` is their type's own repr.  Any record this
does not cover (a wrong answer's evidence, a non-finite time, an int subclass) gets None, and the
encoder writes it.  The line's middle (``outcome`` to ``harness_error``) is the same text for most
answers and is kept per value (``_middle``): at 240 s cache on, 257,430 -> 249,935 instructions a request.
``record_tail`` is the line from ``latency_s`` on: ``sim.kept_records`` keeps a kept outcome's (its values
are shared by most records on the twin's still clock), and ``head_line`` writes only the id and the times
before it.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from reports.records import RequestRecord

__all__ = ["answer_line", "head_line", "record_tail", "request_line"]

#: the values the line below writes, in its order: RequestRecord's fields
_KEYS = ("id", "intended_s", "sent_s", "latency_s", "outcome", "status", "error", "provider", "attempts",
         "cache_hit", "fallback", "degraded", "conservation", "confidence", "json_error", "correct",
         "validation_invalid", "validation_fp", "harness_error", "served", "gold", "agent_s", "prompt_id",
         "phase")
if tuple(f.name for f in fields(RequestRecord)) != _KEYS:  # pragma: no cover - a field added or moved
    raise ImportError("sim.request_line: RequestRecord's fields changed; update the line's template")

_string = json.encoder.encode_basestring   # the C encoder's own string writer (ensure_ascii=False)
_INF = float("inf")
_LITERAL = {True: "true", False: "false", None: "null"}
#: the texts written so far (pure, bounded): of the strings (an answer's provider and prompt id take a few
#: values each) and of the line's middle, ``outcome`` to ``harness_error``: the fifteen values an answer
#: shares with most others (the flags, the provider, the confidence), whose formatting is half the line.
#: A key with a zero confidence is never kept: 0.0 and -0.0 are one key, two texts.  Every other value
#: in the key is a text, an exact int, a bool, None or a non-zero float, whose equals write the same.
_STRING: dict[str, str] = {}
_MIDDLE: dict[tuple[Any, ...], str] = {}
_MEMO_SIZE = 65536


def _text(value: str) -> str:
    text = _string(value)
    if len(_STRING) < _MEMO_SIZE:
        _STRING[value] = text
    return text


def _middle(key: tuple[Any, ...]) -> str:
    outcome, status, error, provider, attempts, cache_hit, fallback, degraded, conservation, confidence, \
        json_error, correct, invalid, false_positive, harness_error = key
    flag = _LITERAL
    text = (
        f'"outcome": {_string(outcome)}, "status": {status!r}, '
        f'"error": {"null" if error is None else _string(error)}, '
        f'"provider": {"null" if provider is None else _string(provider)}, '
        f'"attempts": {attempts!r}, "cache_hit": {flag[cache_hit]}, "fallback": {flag[fallback]}, '
        f'"degraded": {flag[degraded]}, "conservation": {flag[conservation]}, '
        f'"confidence": {"null" if confidence is None else repr(confidence)}, '
        f'"json_error": {flag[json_error]}, "correct": {flag[correct]}, "validation_invalid": {flag[invalid]}, '
        f'"validation_fp": {flag[false_positive]}, "harness_error": {flag[harness_error]}'
    )
    if (confidence is None or confidence) and len(_MIDDLE) < _MEMO_SIZE:
        _MIDDLE[key] = text
    return text


def request_line(values: tuple[Any, ...]) -> str | None:
    """``answered_values``' record as the line ``sim.records._encode`` writes of its dict, or None."""
    rid, intended, sent, latency = values[:4]
    if not (type(rid) is int and type(intended) is float and -_INF < intended < _INF
            and (sent is intended or (type(sent) is float and -_INF < sent < _INF)) and values[23] is None):
        return None
    tail = record_tail(latency, values[4:22], values[22])
    return None if tail is None else _line(rid, intended, sent, tail)


def answer_line(rid: int, intended: float, latency: float, answer: tuple[Any, ...],
                prompt_id: str | None) -> str | None:
    """``request_line((rid, intended, intended, latency, *answer, prompt_id, None))``, without the tuple."""
    if not (type(rid) is int and type(intended) is float and -_INF < intended < _INF):
        return None
    tail = record_tail(latency, answer, prompt_id)
    return None if tail is None else _line(rid, intended, intended, tail)


def head_line(rid: int, intended: float, tail: str) -> str | None:
    """The line of a request sent when it was meant to be, of its ``record_tail``; None for an id or time the
    line does not cover."""
    if not (type(rid) is int and type(intended) is float and -_INF < intended < _INF):
        return None
    return _line(rid, intended, intended, tail)


def _line(rid: int, intended: float, sent: float, tail: str) -> str:
    text = repr(intended)
    return f'{{"id": {rid!r}, "intended_s": {text}, "sent_s": {text if sent is intended else repr(sent)}, {tail}'


def record_tail(latency: Any, answer: tuple[Any, ...], prompt_id: Any) -> str | None:
    """The line from ``latency_s`` to its end, of the latency, the 18 values ``outcome`` to ``agent_s`` and the
    prompt id (``phase`` is None), or None."""
    _, status, _, provider, attempts, _, _, _, _, _, _, correct, _, _, _, served, _, agent_s = answer
    # one expression, no helper calls; the gold evidence is set exactly when ``served`` is (a wrong answer's evidence)
    if not (type(status) is int and type(attempts) is int
            and type(latency) is float and -_INF < latency < _INF
            and (provider is None or type(provider) is str) and (prompt_id is None or type(prompt_id) is str)
            and (correct is None or type(correct) is bool) and served is None):
        return None
    middle = _MIDDLE.get(answer[:15])
    if middle is None:
        middle = _middle(answer[:15])
    return (
        f'"latency_s": {latency!r}, {middle}, "served": null, "gold": null, '
        f'"agent_s": {"null" if agent_s is None else repr(agent_s)}, '
        f'"prompt_id": {"null" if prompt_id is None else _STRING.get(prompt_id) or _text(prompt_id)}, '
        f'"phase": null}}'
    )

