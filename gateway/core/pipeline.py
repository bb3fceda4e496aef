"""The appointment pipeline as one sans-I/O flow.

parsing (LLM, or the regex fallback) → temporal → geo → validation → availability
→ negotiation (LLM).  In degraded mode only parsing → temporal → validation run
(runbook "Estrategia 3").  Each agent is timed on the stack's clock, so the live
gateway and the twin report the same ``agent_execution_duration_seconds``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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
from ..outcomes import ChatRequest, Completion
from .effects import Flow
from .llm_flow import CacheSpec, call_llm, remember
from .refusal import retry_after_header
from .stack import ModeView, Stack

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


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """Everything the HTTP layer (or the twin's recorder) needs about one parse request."""

    status: int                        # 200, 429 (rate-limited / shed) or 503 (nothing could answer)
    body: dict[str, Any]
    provider: str | None = None
    cache_hit: bool = False
    fallback: bool = False
    degraded: bool = False
    conservation: bool = False
    attempts: int = 0
    json_error: bool = False
    confidence: float | None = None
    agent_s: float = 0.0
    agents: dict[str, float] = field(default_factory=dict)
    retry_after_s: float | None = None
    valid: bool | None = None
    #: a gold probe's request, not a user's (observers that count users skip it)
    probe: bool = False

    def headers(self) -> dict[str, str]:
        h = {
            "x-llmdrill-provider": self.provider or ("cache" if self.cache_hit else "none"),
            "x-llmdrill-cache": "hit" if self.cache_hit else "miss",
            "x-llmdrill-fallback": "1" if self.fallback else "0",
            "x-llmdrill-degraded": "1" if self.degraded else "0",
            "x-llmdrill-attempts": str(self.attempts),
        }
        if self.retry_after_s is not None:
            h["retry-after"] = retry_after_header(self.retry_after_s)
        return h


def parse_appointment(
    stack: Stack, prompt: str, reference: date, received_at: float, probe: bool = False
) -> Flow:
    """Run the pipeline for one user prompt; returns ``ParseOutcome``.  ``probe``: a gold probe's."""
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
                              probe=probe)
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
            return _finish(stack, received_at, probe, ParseOutcome(
                429, {"error": {"type": "overloaded", "message": "every provider's queue is full; retry later"}},
                conservation=mode.conservation, degraded=mode.degraded, agents=agents,
                retry_after_s=refused.retry_after_s))
        if not stack.config.fallback.enabled:
            agents["parsing"] = clock.now() - t
            status = refused.status if refused is not None else 503
            kind, summary = ("overloaded", "every provider that could answer is rate-limited; retry later") \
                if status == 429 else ("llm_unavailable", "no provider could answer")
            return _finish(stack, received_at, probe, ParseOutcome(
                status, {"error": {"type": kind, "message": _failure_summary(llm.failures) or summary}},
                attempts=llm.attempts, json_error=json_error, conservation=mode.conservation,
                degraded=mode.degraded, agents=agents,
                retry_after_s=refused.retry_after_s if refused is not None else None))
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
            out["negotiation"] = yield from _negotiate(stack, result, deadline, mode, probe)
        else:
            out["negotiation"] = {"message": _confirmation(result), "source": "template"}
        agents["negotiation"] = clock.now() - t

    completion: Completion | None = llm.completion if not fallback else None
    return _finish(stack, received_at, probe, ParseOutcome(
        200, out,
        provider=completion.provider if completion is not None and not llm.cache_hit else None,
        cache_hit=llm.cache_hit and not fallback, fallback=fallback, degraded=mode.degraded,
        conservation=mode.conservation, attempts=llm.attempts, json_error=json_error,
        confidence=result.confidence, agents=agents, valid=bool(validation["valid"])))


def _finish(stack: Stack, received_at: float, probe: bool, outcome: ParseOutcome) -> ParseOutcome:
    agent_s = stack.clock.now() - received_at
    body = outcome.body
    if outcome.status == 200:
        body["meta"] = {
            "provider": outcome.provider, "cache_hit": outcome.cache_hit, "fallback": outcome.fallback,
            "degraded": outcome.degraded, "conservation": outcome.conservation,
            "attempts": outcome.attempts, "json_error": outcome.json_error, "agent_s": round(agent_s, 6),
            "agents": {k: round(v, 6) for k, v in outcome.agents.items()},
        }
    else:  # a failure's pipeline time too: the runbook's agent_execution_duration counts every execution
        body["meta"] = {"attempts": outcome.attempts, "agent_s": round(agent_s, 6)}
    final = ParseOutcome(
        outcome.status, body, outcome.provider, outcome.cache_hit, outcome.fallback, outcome.degraded,
        outcome.conservation, outcome.attempts, outcome.json_error, outcome.confidence, agent_s,
        outcome.agents, outcome.retry_after_s, outcome.valid, probe)
    stack.observer.on_request(final)
    return final


def _failure_summary(failures: tuple[Any, ...]) -> str:
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


def _negotiate(stack: Stack, result: ParseResult, deadline: float, mode: ModeView, probe: bool) -> Flow:
    """The negotiation agent: an LLM-written counter-proposal, or a template when the LLM can't."""
    summary = result.to_json()
    template = _confirmation(result) + " El horario pedido está ocupado; le propondremos otro."
    if stack.clock.now() >= deadline:
        return {"message": template, "source": "template"}
    request = ChatRequest(build_negotiation_messages(result), max_tokens=60)
    params: dict[str, object] = {"max_tokens": 60}
    spec = CacheSpec(NEGOTIATE_TASK, repr(sorted(summary["entities"].items())), params)
    llm = yield from call_llm(stack, request, deadline_at=deadline, conservation=mode.conservation, cache=spec,
                              probe=probe)
    if llm.completion is None:
        return {"message": template, "source": "template"}
    if not llm.cache_hit and stack.config.cache.enabled:
        yield from remember(stack, spec, llm.completion, stack.config.scaled(mode.settings.cache_ttl_s))
    return {"message": llm.completion.text.strip()[:500], "source": "llm"}
