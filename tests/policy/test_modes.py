"""Conservation / degraded modes: thresholds, hysteresis, manual over auto."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.modes import CONSERVATION, NORMAL, ModeChange, ModeConfig, ModeController

AUTO = ModeConfig(auto=True, window_s=10.0, min_samples=5, hold_s=20.0, eval_interval_s=0.0)


def _feed(ctl: ModeController, start: float, n: int, *, ok: bool = True, latency: float = 0.1,
          rate_limited: bool = False, step: float = 0.1) -> float:
    t = start
    for _ in range(n):
        ctl.observe(t, ok, latency, rate_limited)
        t += step
    return t


def test_runbook_values() -> None:
    assert (CONSERVATION.cache_ttl_s, CONSERVATION.max_tokens, CONSERVATION.short_prompt,
            CONSERVATION.max_retries) == (3600.0, 100, True, 5)
    normal = (NORMAL.cache_ttl_s, NORMAL.max_tokens, NORMAL.short_prompt, NORMAL.max_retries)
    assert normal == (300.0, 500, False, 3)


def test_429s_enter_conservation_errors_enter_degraded() -> None:
    ctl = ModeController(AUTO)
    t = _feed(ctl, 0.0, 10, ok=False, rate_limited=True)
    s = ctl.state(t)
    assert s.conservation and s.conservation_source == "auto" and not s.degraded
    assert s.settings is CONSERVATION
    ctl2 = ModeController(AUTO)
    t = _feed(ctl2, 0.0, 10, ok=False)
    s = ctl2.state(t)
    assert s.degraded and s.degraded_source == "auto" and not s.conservation


def test_p95_enters_degraded_and_min_samples_gate() -> None:
    ctl = ModeController(AUTO)
    t = _feed(ctl, 0.0, 4, latency=12.0)
    assert not ctl.state(t).degraded, "judged a window below min_samples"
    t = _feed(ctl, t, 1, latency=12.0)
    assert ctl.state(t).degraded


def test_off_when_auto_disabled() -> None:
    ctl = ModeController(ModeConfig(auto=False, min_samples=1))
    t = _feed(ctl, 0.0, 50, ok=False, rate_limited=True)
    s = ctl.state(t)
    assert not s.conservation and not s.degraded and s.conservation_source is None


def test_exit_after_hold_and_recovery() -> None:
    changes: list[ModeChange] = []
    ctl = ModeController(AUTO, changes.append)
    t = _feed(ctl, 0.0, 10, ok=False)
    entered = changes[-1].at
    assert changes[-1] == ModeChange(entered, "degraded", True, "auto", changes[-1].reason)
    t = _feed(ctl, t + 11.0, 20)  # healthy window, but still within hold_s
    assert ctl.state(t).degraded
    t = _feed(ctl, entered + 20.0, 10)
    assert not ctl.state(t).degraded
    assert changes[-1].active is False and changes[-1].at - entered >= 20.0


def test_manual_beats_auto_and_none_hands_back() -> None:
    changes: list[ModeChange] = []
    ctl = ModeController(AUTO, changes.append)
    t = _feed(ctl, 0.0, 10, ok=False, rate_limited=True)
    assert ctl.state(t).conservation
    ctl.set_manual(t, conservation=False)
    s = ctl.state(t)
    assert not s.conservation and s.conservation_source == "manual"
    t = _feed(ctl, t, 10, ok=False, rate_limited=True)
    assert not ctl.state(t).conservation, "auto overrode a manual setting"
    ctl.set_manual(t, degraded=True)  # conservation left as it was
    s = ctl.state(t)
    assert s.degraded and s.degraded_source == "manual" and s.conservation_source == "manual"
    ctl.set_manual(t, conservation=None)
    s = ctl.state(t)
    assert s.conservation and s.conservation_source == "auto"
    assert [c.source for c in changes if c.mode == "conservation"] == ["auto", "manual", "auto"]
    with pytest.raises(ValueError, match="degraded"):
        ctl.set_manual(t, degraded="yes")  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.floats(0.0, 3.0), st.booleans(), st.sampled_from([0.1, 6.0, 12.0]), st.booleans()),
        min_size=1,
        max_size=300,
    )
)
@settings(max_examples=100, deadline=None)
def test_no_flapping_faster_than_hold(obs: list[tuple[float, bool, float, bool]]) -> None:
    changes: list[ModeChange] = []
    ctl = ModeController(AUTO, changes.append)
    now = 0.0
    for dt, ok, latency, limited in obs:
        now += dt
        ctl.observe(now, ok, latency, limited and not ok)
    for mode in ("conservation", "degraded"):
        seq = [c for c in changes if c.mode == mode]
        for prev, cur in itertools.pairwise(seq):
            assert prev.active != cur.active
            if prev.active:
                assert cur.at - prev.at >= AUTO.hold_s, f"{mode} left after {cur.at - prev.at}s"


def test_listener_errors_are_isolated() -> None:
    def boom(_: ModeChange) -> None:
        raise RuntimeError("x")

    ctl = ModeController(AUTO, boom)
    t = _feed(ctl, 0.0, 10, ok=False)
    assert ctl.state(t).degraded and ctl.listener_errors == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"exit_error_rate": 0.3}, "exit_error_rate"), ({"min_samples": 0}, "min_samples"),
     ({"window_s": 0}, "window_s"), ({"auto": "yes"}, "auto")],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ModeConfig(**kwargs)  # type: ignore[arg-type]
