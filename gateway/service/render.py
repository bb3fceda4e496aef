"""The core's outcomes as HTTP: JSON bodies and ``x-llmdrill-*`` headers.

The core speaks domain values (``ParseOutcome``, ``ChatOutcome``); this module is
the one place that decides how a client sees them.  The twin renders its parse
answers here too, so a sim record reads the very body a live client would get.
"""

from __future__ import annotations

from typing import Any

from ..core.chat import ChatOutcome
from ..core.parse_outcome import ParseOutcome
from ..core.refusal import retry_after_header
from .http import Headers

__all__ = ["chat_body", "chat_error_body", "chat_headers", "parse_body", "parse_headers", "retry_after"]

_FLAG = {True: b"1", False: b"0"}
_CACHE = {True: b"hit", False: b"miss"}


def retry_after(seconds: float | None) -> Headers:
    """The Retry-After header for ``seconds`` (none when no time is known)."""
    if seconds is None:
        return ()
    return ((b"retry-after", retry_after_header(seconds).encode("ascii")),)


def parse_body(outcome: ParseOutcome) -> dict[str, Any]:
    """The JSON body of a parse answer: the agents' answer plus ``meta``, or the error plus ``meta``."""
    if outcome.status == 200 and outcome.answer is not None:
        # a zero (every pure agent in the twin, whose clock stands still while they run, and all of a cache
        # hit) rounds to itself, sign included: skipping its ``round`` saves most of a twin request's seven
        agent_s, agents = outcome.agent_s, outcome.agents
        return {**outcome.answer, "meta": {
            "provider": outcome.provider, "cache_hit": outcome.cache_hit, "fallback": outcome.fallback,
            "degraded": outcome.degraded, "conservation": outcome.conservation,
            "attempts": outcome.attempts, "json_error": outcome.json_error,
            "agent_s": round(agent_s, 6) if agent_s else agent_s,
            "agents": {k: round(v, 6) if v else v for k, v in agents.items()} if any(agents.values())
            else agents.copy(),
        }}
    # a failure's pipeline time too: the runbook's agent_execution_duration counts every execution
    return {"error": {"type": outcome.error_kind or "llm_unavailable", "message": outcome.error_message or ""},
            "meta": {"attempts": outcome.attempts, "agent_s": round(outcome.agent_s, 6)}}


def parse_headers(outcome: ParseOutcome) -> Headers:
    """Which provider answered, cache, fallback, degraded, attempts; and Retry-After on a refusal."""
    provider = outcome.provider or ("cache" if outcome.cache_hit else "none")
    return (
        (b"x-llmdrill-provider", provider.encode("latin-1")),
        (b"x-llmdrill-cache", _CACHE[outcome.cache_hit]),
        (b"x-llmdrill-fallback", _FLAG[outcome.fallback]),
        (b"x-llmdrill-degraded", _FLAG[outcome.degraded]),
        (b"x-llmdrill-attempts", str(outcome.attempts).encode("ascii")),
        *retry_after(outcome.retry_after_s),
    )


def chat_body(outcome: ChatOutcome, request_id: str, created: int) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` for an answered pass-through call."""
    c = outcome.completion
    assert c is not None, "chat_body renders answered calls; chat_error_body the others"
    usage = c.usage
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": c.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": c.text},
                     "finish_reason": c.finish_reason}],
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                  "total_tokens": usage.total_tokens},
    }


def chat_headers(outcome: ChatOutcome) -> Headers:
    if outcome.completion is None:
        return retry_after(outcome.retry_after_s)
    return ((b"x-llmdrill-provider", outcome.completion.provider.encode("latin-1")),
            (b"x-llmdrill-cache", _CACHE[outcome.cache_hit]),
            (b"x-llmdrill-attempts", str(outcome.attempts).encode("ascii")))


def chat_error_body(message: str, kind: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
