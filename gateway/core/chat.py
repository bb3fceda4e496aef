"""The OpenAI-compatible pass-through as a flow: the same stack, no pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from ..outcomes import ChatRequest, Completion
from .effects import Flow
from .llm_flow import CacheSpec, call_llm, remember
from .stack import Stack


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    status: int                       # 200, 429 (rate-limited), 503 (upstream down)
    completion: Completion | None
    cache_hit: bool = False
    attempts: int = 0
    error_type: str | None = None
    error_message: str | None = None
    #: when the client may come back (429/503); rendered as Retry-After by the service
    retry_after_s: float | None = None


def chat_completion(stack: Stack, request: ChatRequest, received_at: float, request_id: int | None = None) -> Flow:
    """``request_id``: the user request's id, carried to every provider call (``call_llm``)."""
    mode = stack.mode_view(received_at)
    if mode.conservation and request.max_tokens > mode.settings.max_tokens:
        request = replace(request, max_tokens=mode.settings.max_tokens)
    prompt = json.dumps([[m.role, m.content] for m in request.messages], ensure_ascii=False)
    spec = CacheSpec(f"chat:{request.model or 'default'}", prompt,
                     {"max_tokens": request.max_tokens, "temperature": request.temperature})
    # Only deterministic requests may be served from a cache.
    use_cache = request.temperature == 0.0
    llm = yield from call_llm(stack, request, deadline_at=received_at + stack.deadline_s,
                              conservation=mode.conservation, cache=spec if use_cache else None,
                              request_id=request_id)
    if llm.completion is not None:
        if use_cache and not llm.cache_hit and stack.config.cache.enabled:
            yield from remember(stack, spec, llm.completion, stack.config.scaled(mode.settings.cache_ttl_s))
        return ChatOutcome(200, llm.completion, llm.cache_hit, llm.attempts)
    refused = llm.refusal
    status = refused.status if refused is not None else 503
    retry_after = refused.retry_after_s if refused is not None else None
    if status == 429:
        return ChatOutcome(429, None, attempts=llm.attempts, error_type="rate_limit_exceeded",
                           error_message=f"No provider can take the call now ({refused.reason if refused else ''}); "
                                         "retry after the Retry-After seconds.",
                           retry_after_s=retry_after)
    last = llm.failures[-1] if llm.failures else None
    message = f"No provider could answer ({last.provider}: {last.kind.value})" if last else \
        "No provider could answer"
    return ChatOutcome(503, None, attempts=llm.attempts, error_type="upstream_unavailable", error_message=message,
                       retry_after_s=retry_after)
