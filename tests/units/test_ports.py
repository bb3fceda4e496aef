"""One port check for every flag: a single port, or the base of a run of consecutive ports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from units.ports import MAX_PORT, port_problem


@given(st.integers(-5, MAX_PORT + 5), st.integers(1, 4), st.sampled_from([0, 1, 1024]))
def test_a_base_port_is_good_exactly_when_its_whole_run_fits(port: int, span: int, lowest: int) -> None:
    fits = port >= lowest and all(p <= MAX_PORT for p in range(port, port + span))
    problem = port_problem(port, span=span, lowest=lowest)
    assert (problem is None) is fits
    if problem is not None:
        assert repr(port) in problem and str(lowest) in problem


@pytest.mark.parametrize(("port", "kwargs", "message"), [
    (65534, {"span": 3}, "expected 0..65533 (N to N+2 are used), got 65534"),
    (70000, {}, "expected 0..65535, got 70000"),
    (80, {"lowest": 1024}, "expected 1024..65535, got 80"),
    (True, {}, "expected 0..65535, got True"),
])
def test_problems_name_the_range(port: int, kwargs: dict[str, int], message: str) -> None:
    assert port_problem(port, **kwargs) == message


def test_a_span_below_one_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="span"):
        port_problem(1, span=0)
