"""The pipeline's agents that need no LLM: geo, validation, availability and the confirmation template.

Each is a pure function of the parse result and the reference date, and a parse result is a pure
function of the model's answer text (``parse_llm_answer``) or of the prompt (``parse_with_regex``) and
that date.  Providers and the cache give the same answer text for the same prompt again and again, so
``AgentAnswers`` keeps what the agents said about one parse and ``for_answer`` / ``for_regex`` hand the
same one back for the same inputs (bounded; a full memo starts again).  The twin spent ~8 % of a request
here; the live gateway gets the same answers, sooner.

The JSON values are shared by every request that asks the same parse.  Nothing downstream changes a
body (the service encodes it, ``render.parse_body`` copies its top level to add ``meta``, the twin's
records and the gold probe's judge read it), and ``body`` is a fresh top level for the pipeline to add
each agent's answer to.  Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from ..nlp import ParseResult, parse_llm_answer, parse_with_regex

__all__ = ["AgentAnswers", "for_answer", "for_regex"]

# A small gazetteer: geo only has to be a deterministic, cheap, non-LLM agent here.
_PLACES = {
    "polanco": (19.4326, -99.1955), "clínica norte": (19.5, -99.13), "centro": (19.4326, -99.1332),
    "consultorio": (19.42, -99.16), "hospital": (19.41, -99.17),
}
_OPEN, _CLOSE = "07:00", "21:00"
#: how many parses each memo keeps before it starts again (parse_llm_answer's own memo keeps 4096)
MEMO_MAX = 4096
_UNSET: Any = object()


class AgentAnswers:
    """What the agents that need no LLM say about one parse result; each worked out on first ask, then kept."""

    __slots__ = ("_availability", "_body", "_confirmed", "_geo", "_validation", "reference", "result")

    def __init__(self, result: ParseResult, reference: date) -> None:
        self.result = result
        self.reference = reference
        self._body: dict[str, Any] | None = None
        self._geo: dict[str, Any] | None = _UNSET
        self._validation: dict[str, Any] | None = None
        self._availability: dict[str, Any] | None = None
        self._confirmed: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """The parse result's JSON (``ParseResult.to_json``): a new top level each time, its values shared."""
        body = self._body
        if body is None:
            body = self._body = self.result.to_json()
        return dict(body)

    def geo(self) -> dict[str, Any] | None:
        if self._geo is _UNSET:
            self._geo = _geo(self.result)
        return self._geo

    def validation(self) -> dict[str, Any]:
        if self._validation is None:
            self._validation = _validate(self.result, self.reference)
        return self._validation

    def availability(self) -> dict[str, Any]:
        if self._availability is None:
            self._availability = _availability(self.result)
        return self._availability

    def confirmed(self) -> dict[str, Any]:
        """The negotiation agent's answer when the slot is free: the confirmation template."""
        if self._confirmed is None:
            self._confirmed = {"message": confirmation(self.result), "source": "template"}
        return self._confirmed


_BY_ANSWER: dict[tuple[str, date], AgentAnswers] = {}
_BY_PROMPT: dict[tuple[str, date], AgentAnswers] = {}


def for_answer(text: str, reference: date) -> AgentAnswers:
    """The agents' answers for the model's answer ``text``; raises ``LlmAnswerError`` as ``parse_llm_answer``."""
    return _answers(_BY_ANSWER, text, reference, parse_llm_answer)


def for_regex(prompt: str, reference: date) -> AgentAnswers:
    """The agents' answers for the regex fallback's parse of ``prompt``."""
    return _answers(_BY_PROMPT, prompt, reference, parse_with_regex)


def _answers(memo: dict[tuple[str, date], AgentAnswers], text: str, reference: date,
             parse: Callable[[str, date], ParseResult]) -> AgentAnswers:
    key = (text, reference)
    found = memo.get(key)
    if found is None:
        found = _keep(memo, key, AgentAnswers(parse(text, reference), reference))
    return found


def _keep(memo: dict[tuple[str, date], AgentAnswers], key: tuple[str, date], answers: AgentAnswers) -> AgentAnswers:
    # only keys of plain str and date: a subclass could compare equal to another and answer for it
    if type(key[0]) is str and type(key[1]) is date:
        if len(memo) >= MEMO_MAX:
            memo.clear()
        memo[key] = answers
    return answers


def confirmation(result: ParseResult) -> str:
    return "Cita registrada" + (f" con {result.entities.contacto}" if result.entities.contacto else "") + "."


def _geo(result: ParseResult) -> dict[str, Any] | None:
    place = result.entities.lugar
    if not place:
        return None
    low = place.casefold()
    for name, (lat, lon) in _PLACES.items():
        if name in low:
            return {"place": place, "lat": lat, "lon": lon}
    digest = hashlib.sha256(low.encode("utf-8")).digest()
    return {"place": place, "lat": 19.0 + digest[0] / 255, "lon": -99.5 + digest[1] / 255}


def _validate(result: ParseResult, reference: date) -> dict[str, Any]:
    issues: list[str] = []
    e = result.entities
    if not e.contacto:
        issues.append("contacto: missing")
    if e.fecha is None or not e.fecha.resolved:
        issues.append("fecha: missing")
    elif e.fecha.resolved < reference.isoformat():
        issues.append("fecha: in the past")
    if e.hora is None or not e.hora.resolved:
        issues.append("hora: missing")
    elif not (_OPEN <= e.hora.resolved <= _CLOSE):
        issues.append(f"hora: outside opening hours {_OPEN}-{_CLOSE}")
    return {"valid": not issues, "issues": issues}


def _availability(result: ParseResult) -> dict[str, Any]:
    e = result.entities
    if e.fecha is None or e.hora is None or not e.fecha.resolved or not e.hora.resolved:
        return {"available": None}
    slot = f"{e.fecha.resolved}T{e.hora.resolved}|{e.contacto or ''}"
    busy = hashlib.sha256(slot.encode("utf-8")).digest()[0] < 26   # ~10 % of slots are taken
    return {"available": not busy, "slot": f"{e.fecha.resolved}T{e.hora.resolved}"}
