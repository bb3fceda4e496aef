"""The admission cap as a state machine: never more than ``cap`` in flight, every attempt counted once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.service.admission import Admission
from gateway.service.guards import HostGuard, host_name, is_json_type


@given(st.integers(1, 8), st.lists(st.booleans(), max_size=200))
@settings(max_examples=300, deadline=None)
def test_in_flight_never_passes_the_cap_and_every_attempt_is_counted(cap: int, steps: list[bool]) -> None:
    adm = Admission(cap)
    holding = 0
    for enter in steps:
        if enter:
            before = adm.in_flight
            if adm.try_enter():
                holding += 1
            else:
                assert before == cap, "only a full cap sheds"
        elif holding:
            adm.leave()
            holding -= 1
        assert 0 <= adm.in_flight == holding <= cap
        assert adm.peak <= cap
    assert adm.admitted + adm.shed == sum(steps)


def test_leave_without_enter_and_bad_caps_are_errors() -> None:
    with pytest.raises(RuntimeError, match="no request is in flight"):
        Admission(1).leave()
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="cap must be an integer"):
            Admission(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("authority", "name"), [
    ("127.0.0.1:8080", "127.0.0.1"), ("[::1]:80", "::1"), ("LOCALHOST", "localhost"), ("::1", "::1"),
    ("evil.example:80", "evil.example"), ("[::1", "[::1"),
])
def test_host_name_strips_the_port(authority: str, name: str) -> None:
    assert host_name(authority) == name


@given(st.text(max_size=40))
def test_any_host_header_gets_a_decision_not_an_error(text: str) -> None:
    guard = HostGuard()
    decision = guard.allows_host(text.encode("utf-8"))
    assert decision == guard.allows_host(text.encode("utf-8"))   # the cached decision is the same


@pytest.mark.parametrize(("value", "ok"), [
    (b"application/json", True), (b"Application/JSON; charset=utf-8", True), (b"application/problem+json", True),
    (b"text/plain", False), (b"application/x-www-form-urlencoded", False), (None, False), (b"", False),
    (b"text/json+x", False),
])
def test_json_types(value: bytes | None, ok: bool) -> None:
    assert is_json_type(value) is ok
