"""The appointment pipeline as one sans-I/O flow.

parsing (LLM, or the regex fallback) → temporal → geo → validation → availability
→ negotiation (LLM).  In degraded mode only parsing → temporal → validation run
(runbook "Estrategia 3").  Each agent is timed on the stack's clock, so the live
gateway and the twin report the same ``agent_execution_duration_seconds``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..nlp import LlmAnswerError, ParseResult, build_negotiation_messages, build_parse_messages
from ..outcomes import ChatRequest, Completion, ProviderFailure
from .agents import AgentAnswers, confirmation, for_answer, for_regex
from .effects import Flow
from .llm_flow import UNASKED, CacheSpec, LlmResult, LookedUp, cache_hit, call_llm, remember
from .parse_outcome import ParseOutcome
from .stack import ModeView, Stack

__all__ = ["DEGRADED_PIPELINE", "FULL_PIPELINE", "NEGOTIATE_TASK", "PARSE_TASK", "ParseOutcome", "is_kept",
           "parse_appointment"]

FULL_PIPELINE = ("parsing", "temporal", "geo", "validation", "availability", "negotiation")
DEGRADED_PIPELINE = ("parsing", "temporal", "validation")

PARSE_TASK = "parse-appointment/v1"
NEGOTIATE_TASK = "negotiate/v1"

#: the parse call of a prompt, by (prompt, short prompt, token cap): both values are immutable (the cache
#: spec's empty params are never written), so one serves every request of that prompt (bounded; a full
#: memo starts again)
_PARSE_CALLS: dict[tuple[str, bool, int], tuple[ChatRequest, CacheSpec]] = {}
_PARSE_CALLS_MAX = 4096


def _parse_call(prompt: str, short: bool, max_tokens: int) -> tuple[ChatRequest, CacheSpec]:
    key = (prompt, short, max_tokens)
    found = _PARSE_CALLS.get(key) if type(prompt) is str else None
    if found is None:
        # The parse answer is the prompt's entities as written ("mañana", "10am"): it depends on neither the
        # reference date (resolved afterwards) nor the prompt template or token cap, so one cached answer
        # serves both modes — turning conservation mode on must not start with a burst of cache misses.
        params: dict[str, object] = {}
        found = (ChatRequest(build_parse_messages(prompt, short), max_tokens=max_tokens),
                 CacheSpec(PARSE_TASK, prompt, params, similar=True))
        if type(prompt) is str:
            if len(_PARSE_CALLS) >= _PARSE_CALLS_MAX:
                _PARSE_CALLS.clear()
            _PARSE_CALLS[key] = found
    return found


#: the negotiation call of a parse (its template, request and cache spec), by the parse's ``AgentAnswers``
#: (hashed by identity, and kept alive here, so an id is never reused): all three are pure functions of the
#: parse result, and the spec's params are never written (bounded; a full memo starts again)
_NEGOTIATIONS: dict[AgentAnswers, tuple[str, ChatRequest, CacheSpec]] = {}
_NEGOTIATIONS_MAX = 4096


def _negotiation_call(answers: AgentAnswers) -> tuple[str, ChatRequest, CacheSpec]:
    found = _NEGOTIATIONS.get(answers)
    if found is None:
        result: ParseResult = answers.result
        entities = answers.body()["entities"]
        params: dict[str, object] = {"max_tokens": 60}
        found = (confirmation(result) + " El horario pedido está ocupado; le propondremos otro.",
                 ChatRequest(build_negotiation_messages(result), max_tokens=60),
                 CacheSpec(NEGOTIATE_TASK, repr(sorted(entities.items())), params))
        if len(_NEGOTIATIONS) >= _NEGOTIATIONS_MAX:
            _NEGOTIATIONS.clear()
        _NEGOTIATIONS[answers] = found
    return found


#: the outcome of a cache hit whose slot is free, on a clock that stands still, by (the kept hit's id, the
#: reference date, degraded, conservation, probe): there every agent takes exactly 0 s, and the rest of the
#: outcome is a pure function of the hit's answer and those values (``for_answer`` and its agents are; the
#: mode's settings only shape a call and a TTL, which a hit has neither of), so the outcome one such request
#: made is the one every later request of the key would make.  Saves the agents' steps, the body and the
#: 17-field outcome of nearly every twin request; the cache is still asked (its recency and counts move as
#: they would) and the observer still told, per request.  The hit is kept alive in the value, so its id is
#: never reused; the outcome is frozen and nothing downstream changes its answer or agents (``agents``'
#: docstring).  A live clock never stands still: live never takes it.  Bounded: a full memo starts again.
#: A taken slot's outcome holds its negotiation too, answered from the cache in no time: kept with that
#: call's spec and hit, and handed back only while the spec's entry still gives that hit (looked up as the
#: full path would, once).
_STILL_HITS: dict[tuple[int, date, bool, bool, bool],
                  tuple[LlmResult, ParseOutcome, CacheSpec | None, LlmResult | None]] = {}
#: the same outcomes by their own id (``is_kept``), emptied with ``_STILL_HITS``
_KEPT_IDS: dict[int, ParseOutcome] = {}
_STILL_HITS_MAX = 8192


def is_kept(outcome: ParseOutcome) -> bool:
    """Whether ``outcome`` is one the pipeline keeps and hands back again (a still clock's cache hit): a
    caller may then key its own work on it by identity."""
    return _KEPT_IDS.get(id(outcome)) is outcome


def _keep_still_hit(key: tuple[int, date, bool, bool, bool], hit: LlmResult, outcome: ParseOutcome,
                    negotiated: tuple[CacheSpec, LlmResult] | None) -> None:
    if len(_STILL_HITS) >= _STILL_HITS_MAX:
        _STILL_HITS.clear()
        _KEPT_IDS.clear()
    replaced = _STILL_HITS.get(key)   # a taken slot's, whose negotiation's entry changed: handed back no more
    if replaced is not None:
        del _KEPT_IDS[id(replaced[1])]
    _STILL_HITS[key] = (hit, outcome, None, None) if negotiated is None else (hit, outcome, *negotiated)
    _KEPT_IDS[id(outcome)] = outcome


def parse_appointment(
    stack: Stack, prompt: str, reference: date, received_at: float, probe: bool = False,
    request_id: int | None = None,
) -> Flow:
    """Run the pipeline for one user prompt; returns ``ParseOutcome``.  ``probe``: a gold probe's;
    ``request_id``: the user request's id, carried to every provider call (``call_llm``)."""
    clock = stack.clock
    mode = stack.mode_view(received_at)
    settings = mode.settings

    # parsing
    t = clock.now()
    request, spec = _parse_call(prompt, settings.short_prompt, settings.max_tokens)
    # The exact key is looked up here, and ``call_llm`` handed what was found: a request answered from the
    # cache (most are) then starts no flow for it.  Positional: a generator's keyword arguments cost ~0.2 us
    # a call (CPython matches each by name).
    looked_up = (yield spec.lookup()) if stack.config.cache.enabled else None
    hit = cache_hit(looked_up, spec.key()) if looked_up is not None else None
    # only plain keys (a subclass, or a probe of 1, could compare equal to another and answer for it)
    looked_up_negotiation: LookedUp = UNASKED
    still_key = (id(hit), reference, mode.degraded, mode.conservation, probe) if (
        hit is not None and clock.stands_still and type(reference) is date and type(probe) is bool) else None
    if still_key is not None:
        # exact when no time passed from the arrival to here, as then none passes to the end (``_STILL_HITS``)
        still = _STILL_HITS.get(still_key)
        if still is not None and t == received_at and clock.now() == t:
            spec_of_negotiation = still[2]
            if spec_of_negotiation is None:
                return _reported(stack, still[1])
            if t < received_at + stack.deadline_s:   # else the full path's negotiation is its template
                negotiation_entry = yield spec_of_negotiation.lookup()
                if negotiation_entry is not None \
                        and cache_hit(negotiation_entry, spec_of_negotiation.key()) is still[3]:
                    return _reported(stack, still[1])
                looked_up_negotiation = negotiation_entry   # the full path's negotiation takes it as found
    deadline = received_at + stack.deadline_s
    agents: dict[str, float] = {}
    negotiated: tuple[CacheSpec, LlmResult] | None = None
    llm = hit if hit is not None else (yield from call_llm(
        stack, request, deadline, mode.conservation, spec, probe, request_id, looked_up))
    answers: AgentAnswers | None = None
    json_error = llm.bad_response
    if llm.completion is not None:
        try:
            answers = for_answer(llm.completion.text, reference)
        except LlmAnswerError:
            json_error = True
        else:
            if not llm.cache_hit and stack.config.cache.enabled:
                yield from remember(stack, spec, llm.completion, stack.config.scaled(settings.cache_ttl_s))
    fallback = False
    if answers is None:
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
        answers = for_regex(prompt, reference)
        fallback = True
    # Each agent's end is the next one's start (nothing runs between them), so a request reads the clock
    # once an agent, not twice.
    done = clock.now()
    agents["parsing"] = done - t
    t = done
    result = answers.result

    # DEGRADED_PIPELINE is FULL_PIPELINE without geo, availability and negotiation
    full = not mode.degraded
    out: dict[str, Any] = answers.body()
    # temporal: parse_llm_answer / parse_with_regex already resolved the expressions
    # against `reference`; the agent is timed for the metric all the same.
    done = clock.now()
    agents["temporal"] = done - t
    t = done
    if full:
        out["geo"] = answers.geo()
        done = clock.now()
        agents["geo"] = done - t
        t = done
    validation = answers.validation()
    out["validation"] = validation
    done = clock.now()
    agents["validation"] = done - t
    t = done
    if full:
        availability = out["availability"] = answers.availability()
        done = clock.now()
        agents["availability"] = done - t
        t = done
        # There is something to negotiate only when the slot asked for is taken; a free slot is
        # confirmed from a template, so most requests cost one LLM call, not two.
        if availability["available"] is False:
            out["negotiation"], negotiated = yield from _negotiate(
                stack, answers, deadline, mode, probe, request_id, looked_up_negotiation)
        else:
            out["negotiation"] = answers.confirmed()
        done = clock.now()
        agents["negotiation"] = done - t   # the last agent's end is the pipeline's

    completion: Completion | None = llm.completion if not fallback else None
    # Positional, in the fields' order (each line names its fields): the answer's 13 keyword arguments
    # cost ~1.4 us a request (CPython matches each by name); ``test_answered_fields`` pins the order.
    outcome = ParseOutcome(
        200, out, None, None,  # status, answer, error_kind, error_message
        completion.provider if completion is not None and not llm.cache_hit else None,  # provider
        llm.cache_hit and not fallback, fallback, mode.degraded, mode.conservation,  # cache_hit .. conservation
        llm.attempts, json_error, result.confidence,  # attempts, json_error, confidence
        done - received_at, agents, None,  # agent_s, agents, retry_after_s
        bool(validation["valid"]), probe)  # valid, probe
    # a hit whose slot was free (no negotiation call), or whose negotiation the cache answered, in no time at all
    if (still_key is not None and hit is not None and not fallback
            and (not full or availability["available"] is not False or negotiated is not None)
            and done == received_at):
        _keep_still_hit(still_key, hit, outcome, negotiated)
    return _reported(stack, outcome)


def _reported(stack: Stack, outcome: ParseOutcome) -> ParseOutcome:
    # Every outcome carries its pipeline time from the start (a failure's too: the runbook's
    # agent_execution_duration counts every execution), so nothing is rebuilt after the fact.
    stack.observer.on_request(outcome)
    return outcome


def _failure_summary(failures: tuple[ProviderFailure, ...]) -> str:
    return "; ".join(f"{f.provider}: {f.kind.value}" for f in failures[-3:])


def _negotiate(
    stack: Stack, answers: AgentAnswers, deadline: float, mode: ModeView, probe: bool, request_id: int | None,
    looked_up: LookedUp,
) -> Flow:
    """The negotiation agent: an LLM-written counter-proposal, or a template when the LLM can't.

    Returns the answer, and the call's spec and result when the exact key's entry answered it (a pure
    function of that entry).  ``looked_up``: as ``call_llm``'s."""
    template, request, spec = _negotiation_call(answers)
    if stack.clock.now() >= deadline:
        return {"message": template, "source": "template"}, None
    llm = yield from call_llm(stack, request, deadline, mode.conservation, spec, probe, request_id, looked_up)
    if llm.completion is None:
        return {"message": template, "source": "template"}, None
    if not llm.cache_hit and stack.config.cache.enabled:
        yield from remember(stack, spec, llm.completion, stack.config.scaled(mode.settings.cache_ttl_s))
    hit = (spec, llm) if llm.cache_hit and not spec.similar else None
    return {"message": llm.completion.text.strip()[:500], "source": "llm"}, hit
