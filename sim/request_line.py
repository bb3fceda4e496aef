"""A request record's JSON line, formatted directly: one per request, the twin's largest single write.

``sim.records._encode`` (the C encoder) turns a request row into ~100 chunks and joins them: ~9 us of
a ~65 us request here.  A request row (``workload.outcome.answered_row``) always has the same 24 keys
in ``RequestRecord``'s field order and, unless an answer was wrong, only flat values, so one f-string
writes the same line in about half the time (and the float repr of ``intended_s`` once, as the twin's
``sent_s`` is the same float).  The bytes are the encoder's (a property test checks): a finite float
as ``float.__repr__``, an int as ``int.__repr__``, a string by the encoder's own function, a bool or
None as the JSON literal.  Any row this does not cover (other keys or order, a wrong answer's evidence,
a phase, a non-finite float, an int flag, a subclass) gets None, and the encoder writes it.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from reports.records import RequestRecord

__all__ = ["request_line"]

#: the keys the line below writes, in its order: RequestRecord's fields
_KEYS = ("id", "intended_s", "sent_s", "latency_s", "outcome", "status", "error", "provider", "attempts",
         "cache_hit", "fallback", "degraded", "conservation", "confidence", "json_error", "correct",
         "validation_invalid", "validation_fp", "harness_error", "served", "gold", "agent_s", "prompt_id",
         "phase")
if tuple(f.name for f in fields(RequestRecord)) != _KEYS:  # pragma: no cover - a field added or moved
    raise ImportError("sim.request_line: RequestRecord's fields changed; update the line's template")

_string = json.encoder.encode_basestring   # the C encoder's own string writer (ensure_ascii=False)
_INF = float("inf")
_LITERAL = {True: "true", False: "false", None: "null"}


def request_line(row: dict[str, Any]) -> str | None:
    """``row``'s JSON line as ``sim.records._encode`` writes it, or None for a row it does not cover."""
    if tuple(row) != _KEYS:
        return None
    rid, intended, sent, latency, outcome, status, error, provider, attempts, cache_hit, fallback, degraded, \
        conservation, confidence, json_error, correct, invalid, false_positive, harness_error, served, gold, \
        agent_s, prompt_id, phase = row.values()
    # one expression, no helper calls: the checks are a third of the line's cost
    if not (type(rid) is int and type(status) is int and type(attempts) is int
            and type(intended) is float and -_INF < intended < _INF
            and type(latency) is float and -_INF < latency < _INF
            and (sent is intended or (type(sent) is float and -_INF < sent < _INF))
            and (confidence is None or (type(confidence) is float and -_INF < confidence < _INF))
            and (agent_s is None or (type(agent_s) is float and -_INF < agent_s < _INF))
            and type(outcome) is str and (error is None or type(error) is str)
            and (provider is None or type(provider) is str) and (prompt_id is None or type(prompt_id) is str)
            and type(cache_hit) is type(fallback) is type(degraded) is type(conservation) is type(json_error)
            is type(harness_error) is bool
            and (correct is None or type(correct) is bool) and (invalid is None or type(invalid) is bool)
            and (false_positive is None or type(false_positive) is bool)
            and served is None and gold is None and phase is None):
        return None
    text = float.__repr__(intended)
    flag = _LITERAL
    return (
        f'{{"id": {int.__repr__(rid)}, "intended_s": {text}, '
        f'"sent_s": {text if sent is intended else float.__repr__(sent)}, '
        f'"latency_s": {float.__repr__(latency)}, "outcome": {_string(outcome)}, '
        f'"status": {int.__repr__(status)}, "error": {"null" if error is None else _string(error)}, '
        f'"provider": {"null" if provider is None else _string(provider)}, '
        f'"attempts": {int.__repr__(attempts)}, "cache_hit": {flag[cache_hit]}, "fallback": {flag[fallback]}, '
        f'"degraded": {flag[degraded]}, "conservation": {flag[conservation]}, '
        f'"confidence": {"null" if confidence is None else float.__repr__(confidence)}, '
        f'"json_error": {flag[json_error]}, "correct": {flag[correct]}, "validation_invalid": {flag[invalid]}, '
        f'"validation_fp": {flag[false_positive]}, "harness_error": {flag[harness_error]}, '
        f'"served": null, "gold": null, "agent_s": {"null" if agent_s is None else float.__repr__(agent_s)}, '
        f'"prompt_id": {"null" if prompt_id is None else _string(prompt_id)}, "phase": null}}'
    )
