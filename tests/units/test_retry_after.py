"""Retry-After rounding: never sooner than the wait, never a whole second later, never 0."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from units.retry_after import retry_after_seconds


@given(st.floats(0.0, 1e6))
def test_whole_seconds_rounded_up_and_at_least_one(seconds: float) -> None:
    value = retry_after_seconds(seconds)
    assert isinstance(value, int) and value >= 1
    assert value >= seconds - 1e-9
    assert value - 1 < max(seconds, 1.0)


@pytest.mark.parametrize(("seconds", "expected"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.2, 2), (2.0000000001, 2),
                                                    (59.5, 60)])
def test_examples(seconds: float, expected: int) -> None:
    assert retry_after_seconds(seconds) == expected
