"""``Router.choose``'s one pass picks what the two-list form picks, with the same breaker transitions.

The reference below is ``choose`` as it was (every admitting provider first, then the healthy among
them); both routers see the same breakers' histories, health, override, exclusions and draws.
"""

from __future__ import annotations

import random
from collections.abc import Collection

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.breaker import BreakerConfig, BreakerState, BreakerTransition, CircuitBreaker
from gateway.policy.router import Router, RouterConfig

NAMES = ("qwen", "claude", "openai")


def _reference_choose(router: Router, now: float, rng: random.Random, exclude: Collection[str] = ()) -> str | None:
    prefix = ""
    breakers = router._breakers
    override = router.override
    if override is not None and override not in exclude:
        if breakers[override].would_admit(now):
            router.last_choice_reason = "override"
            return override
        prefix = f"override-bypassed({override} {breakers[override].state(now).value}):"
    admitting = [p for p in router.providers if p not in exclude and breakers[p].would_admit(now)]
    if not admitting:
        router.last_choice_reason = prefix + "none"
        return None
    weights = router.config.weights
    healthy = [p for p in admitting if weights[p] > 0
               and (router._is_healthy(p) or breakers[p].state(now) is BreakerState.HALF_OPEN)]
    if healthy:
        router.last_choice_reason = prefix + "weighted"
        return router._weighted(healthy, rng)
    router.last_choice_reason = prefix + "least-bad"
    return min(admitting, key=router._badness)


def _build(weights: dict[str, float], override: str | None) -> tuple[Router, dict[str, CircuitBreaker],
                                                                     list[BreakerTransition]]:
    seen: list[BreakerTransition] = []
    config = BreakerConfig(failure_threshold=2, recovery_timeout_s=5.0, half_open_max_probes=2,
                           half_open_successes_to_close=1)
    breakers = {n: CircuitBreaker(n, config, seen.append) for n in NAMES}
    return Router(RouterConfig(weights=weights, override=override), breakers), breakers, seen


# time steps past the recovery timeout, latencies past the unhealthy mark: half-open, unhealthy breakers
steps = st.lists(st.tuples(st.sampled_from([0.0, 1.0, 6.0]), st.sampled_from(NAMES),
                           st.sampled_from(["ok", "fail", "fail", "acquire", "choose", "choose", "force",
                                            "disable", "reset"]),
                           st.sampled_from([0.5, 12.0]), st.sets(st.sampled_from(NAMES), max_size=2)),
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 1.0, 3.0]), min_size=3, max_size=3).filter(lambda w: any(w)),
       st.one_of(st.none(), st.sampled_from(NAMES)), steps, st.integers(0, 2**32))
def test_one_pass_choose_is_the_two_list_choose(weights: list[float], override: str | None,
                                                 script: list[tuple[float, str, str, float, set[str]]],
                                                 seed: int) -> None:
    ours, our_breakers, our_seen = _build(dict(zip(NAMES, weights, strict=True)), override)
    ref, ref_breakers, ref_seen = _build(dict(zip(NAMES, weights, strict=True)), override)
    our_rng, ref_rng = random.Random(seed), random.Random(seed)
    now = 0.0
    for dt, name, action, latency, exclude in script:
        now += dt
        if action == "choose":
            assert ours.choose(now, our_rng, exclude) == _reference_choose(ref, now, ref_rng, exclude)
            assert ours.last_choice_reason == ref.last_choice_reason
        else:
            for router, breakers in ((ours, our_breakers), (ref, ref_breakers)):
                b = breakers[name]
                if action in ("ok", "fail"):
                    router.record(name, now, action == "ok", latency)
                    (b.on_success if action == "ok" else b.on_failure)(now, latency)
                elif action == "acquire":
                    b.try_acquire(now)
                else:
                    {"force": b.force_open, "disable": b.disable, "reset": b.reset}[action](now)
        assert our_seen == ref_seen
        assert [b.state(now) for b in our_breakers.values()] == [b.state(now) for b in ref_breakers.values()]
