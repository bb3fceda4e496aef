"""``check_time``'s fast path for finite floats accepts and refuses what the full check does."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.policy._validate import check_time


class _Seconds(float):
    pass


@given(st.one_of(st.floats(), st.integers(), st.booleans(), st.none(), st.text(max_size=2),
                 st.floats().map(_Seconds)))
def test_refuses_exactly_what_is_not_a_finite_number(value: object) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, int | float)
          and math.isfinite(value))
    if ok:
        check_time("t", value)
    else:
        with pytest.raises(ValueError, match="now must be a finite number"):
            check_time("t", value)
