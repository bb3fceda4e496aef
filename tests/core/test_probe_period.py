"""The probe cycle's period is clamped in scenario seconds, then scaled: live and twin probe alike.

A compressed live gateway (``time_scale`` s < 1) and the twin (scale 1) must wake
their probe cycles at the same *scenario* period, or the twin's half-open
breakers get their trial calls at other moments than the live ones do.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import GatewayConfig, load_config
from gateway.core.probes import probe_period_s


def _config(interval_s: float, time_scale: float) -> GatewayConfig:
    return load_config(overrides={"router": {"probe_interval": interval_s}, "time_scale": time_scale}, environ={})


@given(st.floats(0.01, 3600.0), st.floats(0.01, 1.0))
def test_the_period_in_scenario_seconds_does_not_depend_on_the_time_scale(interval_s: float, scale: float) -> None:
    twin = probe_period_s(_config(interval_s, 1.0))
    live = probe_period_s(_config(interval_s, scale))
    assert live / scale == pytest.approx(twin)
    assert 0.05 <= twin <= 1.0
    assert twin == pytest.approx(min(1.0, max(0.05, interval_s / 10)))


def test_a_runbook_interval_at_a_tenth_of_the_time_wakes_every_scenario_second() -> None:
    # 30 s at time_scale 0.1: every 0.1 s of wall time = 1 scenario second, as in the twin (not 3 s)
    assert probe_period_s(_config(30.0, 0.1)) == pytest.approx(0.1)
    assert probe_period_s(_config(30.0, 1.0)) == pytest.approx(1.0)
