"""``RateLimitQueue.earliest_start``: the booking ``reserve`` would make, without making it.

The request path reads it to decide whether a retry is worth waiting for; it must agree with
``reserve`` exactly and leave the queue as it found it.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.limiter import Admit, LimiterConfig, RateLimitQueue


@given(
    st.one_of(st.none(), st.integers(1, 10)),
    st.one_of(st.none(), st.integers(50, 500)),
    st.lists(st.tuples(st.floats(0.0, 5.0), st.integers(0, 120)), max_size=40),
)
@settings(max_examples=300, deadline=None)
def test_earliest_start_is_what_reserve_would_book(rpm: int | None, tpm: int | None,
                                                   arrivals: list[tuple[float, int]]) -> None:
    queue = RateLimitQueue(LimiterConfig(rpm=rpm, tpm=tpm, window_s=10.0, max_queue=1000, max_wait_s=1e9))
    now = 0.0
    for gap, tokens in arrivals:
        now += gap
        peek = queue.earliest_start(now, tokens)
        before = queue.reservations()
        assert queue.earliest_start(now, tokens) == peek            # reading twice changes nothing
        assert [r for r in queue.reservations() if r[0] + 10.0 > now] == \
            [r for r in before if r[0] + 10.0 > now]
        admit = queue.reserve(now, tokens)
        if tpm is not None and tokens > tpm:
            assert math.isinf(peek)
        else:
            assert isinstance(admit, Admit) and admit.start_at == peek >= now
