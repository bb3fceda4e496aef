"""The appointment pipeline as one sans-I/O flow.

parsing (LLM, or the regex fallback) → temporal → geo → validation → availability
→ negotiation (LLM).  In degraded mode only parsing → temporal → validation run
(runbook "Estrategia 3").  Each agent is timed on the stack's clock, so the live
gateway and the twin report the same ``agent_execution_duration_seconds``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from ..nlp import (
    LlmAnswerError,
    ParseResult,
    build_negotiation_messages,
    build_parse_messages,
    parse_llm_answer,
    parse_with_regex,
)
from ..outcomes import ChatRequest, Completion, ProviderFailure
from .effects import Flow
from .llm_flow import CacheSpec, call_llm, remember
from .parse_outcome import ParseOutcome
from .stack import ModeView, Stack

__all__ = ["DEGRADED_PIPELINE", "FULL_PIPELINE", "NEGOTIATE_TASK", "PARSE_TASK", "ParseOutcome",
           "parse_appointment"]

FULL_PIPELINE = ("parsing", "temporal", "geo", "validation", "availability", "negotiation")
DEGRADED_PIPELINE = ("parsing", "temporal", "validation")

PARSE_TASK = "parse-appointment/v1"
NEGOTIATE_TASK = "negotiate/v1"

# A small gazetteer: geo only has to be a deterministic, cheap, non-LLM agent here.
_PLACES = {
    "polanco": (19.4326, -99.1955), "clínica norte": (19.5, -99.13), "centro": (19.4326, -99.1332),
    "consultorio": (19.42, -99.16), "hospital": (19.41, -99.17),
}
_OPEN, _CLOSE = "07:00", "21:00"


def parse_appointment(
    stack: Stack, prompt: str, reference: date, received_at: float, probe: bool = False,
    request_id: int | None = None,
) -> Flow:
    """Run the pipeline for one user prompt; returns ``ParseOutcome``.  ``probe``: a gold probe's;
    ``request_id``: the user request's id, carried to every provider call (``call_llm``)."""
    clock = stack.clock
    mode = stack.mode_view(received_at)
    deadline = received_at + stack.deadline_s
    agents: dict[str, float] = {}
    settings = mode.settings

    # parsing
    t = clock.now()
    # The parse answer is the prompt's entities as written ("mañana", "10am"): it depends on neither the
    # reference date (resolved afterwards) nor the prompt template or token cap, so one cached answer
    # serves both modes — turning conservation mode on must not start with a burst of cache misses.
    params: dict[str, object] = {}
    request = ChatRequest(build_parse_messages(prompt, settings.short_prompt), max_tokens=settings.max_tokens)
    spec = CacheSpec(PARSE_TASK, prompt, params, similar=True)
    llm = yield from call_llm(stack, request, deadline_at=deadline, conservation=mode.conservation, cache=spec,
                              probe=probe, request_id=request_id)
    result: ParseResult | None = None
    json_error = llm.bad_response
    if llm.completion is not None:
        try:
            result = parse_llm_answer(llm.completion.text, reference)
        except LlmAnswerError:
            json_error = True
        else:
            if not llm.cache_hit and stack.config.cache.enabled:
                yield from remember(stack, spec, llm.completion, stack.config.scaled(settings.cache_ttl_s))
    fallback = False
    if result is None:
        refused = llm.refusal
        # The gateway's own queues refusing before any call is load shedding: 429 even with the fallback
        # on, or shedding would hand the regex parser all the load it exists to refuse.
        if refused is not None and refused.shed:
            agents["parsing"] = clock.now() - t
            return _reported(stack, ParseOutcome(
                429, error_kind="overloaded", error_message="every provider's queue is full; retry later",
                conservation=mode.conservation, degraded=mode.degraded, agents=agents,
                agent_s=clock.now() - received_at, retry_after_s=refused.retry_after_s, probe=probe))
        if not stack.config.fallback.enabled:
            agents["parsing"] = clock.now() - t
            status = refused.status if refused is not None else 503
            kind, summary = ("overloaded", "every provider that could answer is rate-limited; retry later") \
                if status == 429 else ("llm_unavailable", "no provider could answer")
            return _reported(stack, ParseOutcome(
                status, error_kind=kind, error_message=_failure_summary(llm.failures) or summary,
                attempts=llm.attempts, json_error=json_error, conservation=mode.conservation,
                degraded=mode.degraded, agents=agents, agent_s=clock.now() - received_at,
                retry_after_s=refused.retry_after_s if refused is not None else None, probe=probe))
        result = parse_with_regex(prompt, reference)
        fallback = True
    agents["parsing"] = clock.now() - t

    sequence = DEGRADED_PIPELINE if mode.degraded else FULL_PIPELINE
    out: dict[str, Any] = result.to_json()
    # temporal: parse_llm_answer / parse_with_regex already resolved the expressions
    # against `reference`; the agent is timed for the metric all the same.
    t = clock.now()
    agents["temporal"] = clock.now() - t
    if "geo" in sequence:
        t = clock.now()
        out["geo"] = _geo(result)
        agents["geo"] = clock.now() - t
    t = clock.now()
    validation = _validate(result, reference)
    out["validation"] = validation
    agents["validation"] = clock.now() - t
    if "availability" in sequence:
        t = clock.now()
        out["availability"] = _availability(result)
        agents["availability"] = clock.now() - t
    if "negotiation" in sequence:
        t = clock.now()
        # There is something to negotiate only when the slot asked for is taken; a free slot is
        # confirmed from a template, so most requests cost one LLM call, not two.
        if out.get("availability", {}).get("available") is False:
            out["negotiation"] = yield from _negotiate(stack, result, deadline, mode, probe, request_id)
        else:
            out["negotiation"] = {"message": _confirmation(result), "source": "template"}
        agents["negotiation"] = clock.now() - t

    completion: Completion | None = llm.completion if not fallback else None
    return _reported(stack, ParseOutcome(
        200, answer=out,
        provider=completion.provider if completion is not None and not llm.cache_hit else None,
        cache_hit=llm.cache_hit and not fallback, fallback=fallback, degraded=mode.degraded,
        conservation=mode.conservation, attempts=llm.attempts, json_error=json_error,
        confidence=result.confidence, agents=agents, agent_s=clock.now() - received_at,
        valid=bool(validation["valid"]), probe=probe))


def _reported(stack: Stack, outcome: ParseOutcome) -> ParseOutcome:
    # Every outcome carries its pipeline time from the start (a failure's too: the runbook's
    # agent_execution_duration counts every execution), so nothing is rebuilt after the fact.
    stack.observer.on_request(outcome)
    return outcome


def _failure_summary(failures: tuple[ProviderFailure, ...]) -> str:
    return "; ".join(f"{f.provider}: {f.kind.value}" for f in failures[-3:])


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


def _confirmation(result: ParseResult) -> str:
    return "Cita registrada" + (f" con {result.entities.contacto}" if result.entities.contacto else "") + "."


def _negotiate(
    stack: Stack, result: ParseResult, deadline: float, mode: ModeView, probe: bool, request_id: int | None
) -> Flow:
    """The negotiation agent: an LLM-written counter-proposal, or a template when the LLM can't."""
    summary = result.to_json()
    template = _confirmation(result) + " El horario pedido está ocupado; le propondremos otro."
    if stack.clock.now() >= deadline:
        return {"message": template, "source": "template"}
    request = ChatRequest(build_negotiation_messages(result), max_tokens=60)
    params: dict[str, object] = {"max_tokens": 60}
    spec = CacheSpec(NEGOTIATE_TASK, repr(sorted(summary["entities"].items())), params)
    llm = yield from call_llm(stack, request, deadline_at=deadline, conservation=mode.conservation, cache=spec,
                              probe=probe, request_id=request_id)
    if llm.completion is None:
        return {"message": template, "source": "template"}
    if not llm.cache_hit and stack.config.cache.enabled:
        yield from remember(stack, spec, llm.completion, stack.config.scaled(mode.settings.cache_ttl_s))
    return {"message": llm.completion.text.strip()[:500], "source": "llm"}
