"""A full queue's shed reason, kept while its count stays, is the reason the plain path would format."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.limiter import Admit, LimiterConfig, RateLimitQueue, Shed

steps = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=3.0), st.integers(min_value=0, max_value=40), st.booleans()),
    min_size=1,
    max_size=150,
)


@given(st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=6), steps)
@settings(max_examples=200, deadline=None)
def test_every_queue_full_reason_is_the_formatted_one(max_queue: int, rpm: int,
                                                      seq: list[tuple[float, int, bool]]) -> None:
    cfg = LimiterConfig(rpm=rpm, tpm=120, window_s=10.0, max_queue=max_queue, max_wait_s=40.0)
    q, plain = RateLimitQueue(cfg), RateLimitQueue(cfg)
    booked: list[tuple[float, int]] = []
    now = 0.0
    for dt, tokens, cancel in seq:
        now += dt
        if cancel and booked:
            start, t = booked.pop()
            assert q.cancel(start, t) == plain.cancel(start, t)
            continue
        waiting = q.queued(now)
        plain._full = (-1, "")   # the plain path: nothing kept, the reason formatted afresh
        got, want = q.reserve(now, tokens), plain.reserve(now, tokens)
        assert got == want
        if isinstance(got, Admit):
            booked.append((got.start_at, tokens))
        elif isinstance(got, Shed) and not got.permanent and not got.reason.startswith("rate limit: next"):
            assert got.reason == f"rate-limit queue full: {waiting} requests waiting (max_queue {max_queue})"
