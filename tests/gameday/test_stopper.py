"""How a game day stops: the first request is the one recorded, a second signal aborts, handlers come back."""

from __future__ import annotations

import signal
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.gameday.stopper import GracefulStop


@settings(max_examples=30, deadline=None)
@given(names=st.lists(st.text("abcdef", min_size=1, max_size=4), min_size=1, max_size=8, unique=True))
def test_of_concurrent_requests_exactly_one_is_recorded(names: list[str]) -> None:
    stop = GracefulStop()
    go = threading.Barrier(len(names))

    def ask(name: str) -> None:
        go.wait()
        stop.request(name)

    threads = [threading.Thread(target=ask, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stop.event.is_set() and stop.by in names and stop.at is not None
    first, at = stop.by, stop.at
    stop.request("late")
    assert (stop.by, stop.at) == (first, at)


def test_the_first_signal_asks_and_the_second_aborts() -> None:
    stop = GracefulStop()
    stop.on_signal(signal.SIGTERM, None)
    assert stop.event.is_set() and stop.by.startswith("SIGTERM (")
    with pytest.raises(KeyboardInterrupt):
        stop.on_signal(signal.SIGINT, None)
    assert stop.by.startswith("SIGTERM (")


def test_handlers_are_installed_in_the_main_thread_and_put_back() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with GracefulStop() as stop:
        for s in before:
            assert signal.getsignal(s) == stop.on_signal
    assert {s: signal.getsignal(s) for s in before} == before


def test_outside_the_main_thread_no_handler_is_touched() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def body() -> None:
        with GracefulStop():
            seen.append(signal.getsignal(signal.SIGTERM))

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [before] and signal.getsignal(signal.SIGTERM) == before
