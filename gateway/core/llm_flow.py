"""One LLM call through the whole stack: cache → router → breaker → queue → call → retry.

Pure and sans-I/O: a generator that yields ``effects`` and is resumed with their
results; time comes from ``stack.clock``.  What the runbook's ``route()`` meant,
done safely:

- failover first: a retryable failure moves the request to another provider the
  router still admits, at once (the runbook's "Failover automático a backup");
- when no other provider is left, back off (jitter, Retry-After honoured) and try
  again, at most ``max_retries`` times and only while the retry budget allows;
- a hard cap on attempts per request (``router.max_attempts``) and the request's
  end-to-end deadline bound everything: no recursion, no unbounded loop;
- permanent failures (spend cap, ``insufficient_quota``) are never retried on that
  provider; a 4xx of our own making is not retried anywhere;
- a backoff wakes no earlier than some provider's breaker, Retry-After and queue admit
  the call, and a wait that would end past the deadline is not started: the request
  fails at once, and ``refusal`` tells the client why (429 or 503) and when to return.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from units.frozen_init import frozen_init

from ..outcomes import ChatRequest, Completion, FailureKind, ProviderFailure
from ..policy.limiter import Shed
from .cache_entry import CacheSpec, decode_completion, encode_completion
from .effects import CacheGet, CacheSet, CallProvider, Flow, Sleep
from .observer import StateEvent
from .refusal import NEVER, Blocker, Cause, Refusal, admits_at, refusal
from .stack import Stack

# CacheSpec and the entry codec live in ``cache_entry``; named here too, where the flows always found them
__all__ = ["UNASKED", "CacheSpec", "LlmResult", "LookedUp", "cache_hit", "call_llm", "decode_completion",
           "encode_completion", "probe_due_providers", "remember"]

#: the exclusions of a first try with nothing tried, spent or waiting yet: no sets built for it
_NONE: frozenset[str] = frozenset()


class _Unasked:
    __slots__ = ()


#: ``call_llm``'s ``looked_up`` when the caller has not looked the exact key up: the flow does
UNASKED = _Unasked()
#: what a caller found at a call's exact key (an entry, or None), or UNASKED
LookedUp = str | _Unasked | None


@frozen_init   # one or two a request (``frozen_init``)
@dataclass(frozen=True, slots=True)
class LlmResult:
    completion: Completion | None
    cache_hit: bool = False
    cache_key: str | None = None
    attempts: int = 0
    failures: tuple[ProviderFailure, ...] = ()
    #: why nothing answered (status and Retry-After for the client); None when something did
    refusal: Refusal | None = None

    @property
    def bad_response(self) -> bool:
        failures = self.failures
        if not failures:   # most results: no generator to build
            return False
        return any(f.kind is FailureKind.BAD_RESPONSE for f in failures)


#: a cache hit's result by its key: the entry it was decoded from and the ``LlmResult`` made of it.  Both
#: are immutable, so one result serves every hit of the same entry (a hit built one, ~1.2 us; bounded: a
#: full memo starts again).  Only a plain ``str`` entry is kept: a subclass could compare equal and differ.
_HITS: dict[str, tuple[str, LlmResult]] = {}
_HITS_MAX = 16384


def cache_hit(raw: str, key: str) -> LlmResult | None:
    """``LlmResult(decode_completion(raw), True, key)``, or None when the entry is unreadable."""
    kept = _HITS.get(key)
    if kept is not None and kept[0] == raw and type(raw) is str:
        return kept[1]
    completion = decode_completion(raw)
    if completion is None:
        return None
    result = LlmResult(completion, True, key)
    if type(raw) is str and type(key) is str:
        if len(_HITS) >= _HITS_MAX:
            _HITS.clear()
        _HITS[key] = (raw, result)
    return result


def remember(stack: Stack, spec: CacheSpec, completion: Completion, ttl_s: float) -> Flow:
    key = spec.key()
    yield CacheSet(key, encode_completion(completion), ttl_s)
    if spec.similar and stack.config.cache.similarity.enabled:
        stack.similarity.add(spec.prompt, key)


def call_llm(
    stack: Stack,
    request: ChatRequest,
    deadline_at: float,
    conservation: bool,
    cache: CacheSpec | None = None,
    probe: bool = False,
    request_id: int | None = None,
    looked_up: LookedUp = UNASKED,
) -> Flow:
    """Get one completion; with ``cache`` set, look it up first.

    Returns ``LlmResult``; the caller stores a good answer with ``remember``.  ``probe`` marks the
    calls of a gold probe (same path, same policies; labelled so that records can tell them apart).
    ``request_id``: the user request's id, on every call it makes and every ``CallEvent`` of them; with
    it, the router's picks and the retry jitter come from ``stack.step_rng`` keyed by the id and the
    step's task (``cache.task``), not from the shared ``stack.rng``.  Every parameter may be passed by
    position: the pipeline does, once or twice a request (keyword arguments cost ~0.2 us a call).
    ``looked_up``: the exact key's entry (``yield cache.lookup()``) when the caller has looked it up
    already and ``cache_hit`` found no answer in it; the pipeline does, so that a hit starts no flow here.
    """
    clock = stack.clock
    key: str | None = None
    cached = stack.config.cache
    if cache is not None and cached.enabled:
        # Exact key first, then (opt-in) the similarity index.  Here, not in a generator of its own: a
        # request answered from the cache does nothing else in this flow.
        lookup = cache.lookup()
        key = lookup.key
        raw: str | None = (yield lookup) if isinstance(looked_up, _Unasked) else looked_up
        if raw is None and cache.similar and cached.similarity.enabled:
            sim = cached.similarity
            near = stack.similarity.find(cache.prompt, sim.threshold, sim.guard)
            if near is not None and near != key:
                raw = yield CacheGet(near)
        if raw is not None:
            hit = cache_hit(raw, key)
            if hit is not None:
                return hit

    # A request with an id draws from its own step's generator, as the twin does for the same request.
    rng = stack.rng if request_id is None else stack.step_rng(request_id, "" if cache is None else cache.task)
    policy = stack.retry_policy(conservation)
    budget = stack.router.attempt_budget()
    tokens = request.estimated_tokens()
    excluded: set[str] = set()       # tried and failed in this round
    spent: set[str] = set()          # permanently out for this request
    failures: list[ProviderFailure] = []
    blockers: dict[str, Blocker] = {}   # why each provider did not answer, and when it admits again
    not_before: dict[str, float] = {}   # a provider's own Retry-After, as an instant
    attempts = retries = 0
    after_backoff = False

    while True:
        now = clock.now()
        if now >= deadline_at:
            break
        # A provider whose Retry-After has not passed is not asked again in this request.  (A gateway
        # queue that deferred or shed a call is asked again: that costs no upstream call.)
        if not_before:
            out: AbstractSet[str] = excluded | spent | {p for p, at in not_before.items() if at > now}
        elif excluded or spent:
            out = excluded | spent
        else:
            out = _NONE   # the first try of most calls: no sets to build
        provider = stack.router.choose(now, rng, exclude=out)
        if provider is None:
            last = failures[-1] if failures else None
            if last is None or last.kind is FailureKind.CLIENT_ERROR or budget.remaining == 0:
                break
            retryable = [f for f in failures if f.provider not in spent] or [last]
            admission = _admissions(stack, now, tokens, spent, blockers)
            # Decide on the failure of the provider that admits first: its Retry-After, not the last
            # provider's, says how long the wait is.
            first = min(admission, key=admission.__getitem__, default=None)
            basis = next((f for f in reversed(retryable) if f.provider == first), retryable[-1])
            decision = policy.decide(basis, retries, now, rng)
            if not decision.retry:
                break
            # Wake when a provider can take the call: never sleep against a breaker that stays open
            # past the backoff, and never past the deadline (fail now, with an honest Retry-After).
            wake_at = max(now + decision.delay_s, NEVER if first is None else admission[first])
            if wake_at >= deadline_at:
                break
            if wake_at > now:
                yield Sleep(wake_at - now)
            retries += 1
            after_backoff = True
            excluded.clear()
            continue
        if provider in out:
            break  # a router that ignores `exclude` must not loop us forever

        breaker = stack.breakers[provider]
        if not breaker.try_acquire(now):
            excluded.add(provider)
            blockers[provider] = Blocker(Cause.BREAKER, admits_at(breaker, now))
            continue
        limiter = stack.limiters.get(provider)
        start_at = now
        if limiter is not None:
            admit = limiter.reserve(now, tokens)
            if isinstance(admit, Shed):
                breaker.release(now)
                excluded.add(provider)
                blockers[provider] = Blocker(Cause.FAILED, NEVER) if admit.permanent else \
                    Blocker(Cause.QUEUE, now + admit.retry_after_s)
                stack.observer.on_state(StateEvent(now, "shed", {"provider": provider, "reason": admit.reason}))
                continue
            start_at = admit.start_at
            # Queue behind this provider's quota only when no other provider can take the call now:
            # a user should not wait for Qwen's next minute while Claude is idle.
            if start_at > now and (
                start_at >= deadline_at
                or stack.router.can_offer(now, exclude=out | {provider})
            ):
                limiter.cancel(start_at, tokens)
                breaker.release(now)
                excluded.add(provider)
                blockers[provider] = Blocker(Cause.QUEUE, start_at)
                continue
        if not budget.take():
            if limiter is not None:
                limiter.cancel(start_at, tokens)
            breaker.release(now)
            break
        if start_at > now:
            yield Sleep(start_at - now)

        stack.retry_budget.record_attempt(clock.now(), after_backoff)
        after_backoff = False
        started = clock.now()
        timeout = max(0.0, min(stack.call_timeout_s[provider], deadline_at - started))
        result = yield CallProvider(provider, request, timeout, probe, request_id)
        attempts += 1
        finished = clock.now()
        stack.record_call(provider, started, finished, result, probe, request_id)
        if isinstance(result, Completion):
            return LlmResult(result, cache_key=key, attempts=attempts, failures=tuple(failures))
        failures.append(result)
        blockers[provider] = _blocker(result, finished)
        if result.kind is FailureKind.RATE_LIMITED and result.retry_after_s:
            not_before[provider] = finished + result.retry_after_s
        if result.kind is FailureKind.CLIENT_ERROR:
            break
        if result.permanent:
            spent.add(provider)
        else:
            excluded.add(provider)

    refused = refusal(clock.now(), blockers, stack.breakers, stack.providers, stack.rate_limited)
    return LlmResult(None, cache_key=key, attempts=attempts, failures=tuple(failures), refusal=refused)


def _blocker(failure: ProviderFailure, at: float) -> Blocker:
    if failure.kind is FailureKind.RATE_LIMITED:
        return Blocker(Cause.RATE_LIMIT, at + (failure.retry_after_s or 0.0))
    if failure.kind is FailureKind.CLIENT_ERROR:
        return Blocker(Cause.CLIENT_ERROR, NEVER)
    if failure.permanent:
        return Blocker(Cause.FAILED, NEVER)   # a spent quota: waiting does not cure it
    return Blocker(Cause.FAILED, at)


def _admissions(
    stack: Stack, now: float, tokens: int, spent: set[str], blockers: dict[str, Blocker]
) -> dict[str, float]:
    """When each provider still in play for this request may be called: its breaker, its Retry-After
    and the gateway's queue for it all let the call through."""
    out: dict[str, float] = {}
    for p in stack.router.providers:
        if p in spent:
            continue
        at = admits_at(stack.breakers[p], now)
        b = blockers.get(p)
        if b is not None and b.cause in (Cause.RATE_LIMIT, Cause.QUEUE):
            at = max(at, b.admits_at)
        limiter = stack.limiters.get(p)
        if limiter is not None:
            at = max(at, limiter.earliest_start(now, tokens))
        out[p] = at
    return out


def probe_due_providers(stack: Stack, request: ChatRequest) -> Flow:
    """Active health probes: only providers the router says are due, each at most once per interval."""
    now = stack.clock.now()
    for provider in stack.router.due_probes(now):
        breaker = stack.breakers[provider]
        if not breaker.try_acquire(now):
            continue
        started = stack.clock.now()
        result = yield CallProvider(provider, request, stack.call_timeout_s[provider], probe=True)
        stack.record_call(provider, started, stack.clock.now(), result, probe=True)
        now = stack.clock.now()
