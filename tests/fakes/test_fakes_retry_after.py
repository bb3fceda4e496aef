"""The fakes' Retry-After: whole seconds by the one rounding (``units.retry_after``), exact milliseconds beside."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from fake_providers.servers.chat import retry_headers
from units.retry_after import retry_after_seconds


@given(st.floats(min_value=0.0, max_value=86_400.0, allow_nan=False))
def test_retry_after_is_the_shared_rounding_and_never_early(wait_s: float) -> None:
    headers = dict(retry_headers(wait_s))
    seconds = int(headers[b"retry-after"])
    assert seconds == retry_after_seconds(wait_s)
    assert seconds >= 1 and seconds >= wait_s - 1e-6        # a client told this never comes back early
    assert seconds < max(1.0, wait_s) + 1                    # nor later than the next whole second
    assert int(headers[b"retry-after-ms"]) == math.ceil(wait_s * 1000)


def test_a_float_error_over_a_whole_second_stays_that_second() -> None:
    # 0.1 * 3 * 10 = 3.0000000000000004: the old ceil said 4
    assert dict(retry_headers(0.1 * 3 * 10))[b"retry-after"] == b"3"
    assert dict(retry_headers(0.2))[b"retry-after"] == b"1"
    assert dict(retry_headers(2.5))[b"retry-after"] == b"3"
