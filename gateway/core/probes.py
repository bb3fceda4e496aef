"""Active health probes: the probe request and how often the probe cycle runs.

The router decides which providers are due (at most once per
``probe_interval`` each); the interpreter only needs to wake up often enough
to notice.  Shared by the live gateway's probe task and the twin's probe
process, so both probe the same providers at the same moments.  Pure: no I/O.
"""

from __future__ import annotations

from ..config import GatewayConfig
from ..outcomes import ChatRequest, Message
from .llm_flow import probe_due_providers

__all__ = ["PROBE_REQUEST", "probe_due_providers", "probe_period_s"]

PROBE_REQUEST = ChatRequest((Message("user", "ping"),), max_tokens=5)


def probe_period_s(config: GatewayConfig) -> float:
    """How often the probe cycle wakes, in the config's run seconds (``time_scale`` applied).

    A tenth of the probe interval, between 50 ms and 1 s *of scenario time*, then scaled: clamped after
    scaling, a compressed live run (time_scale 0.1, interval 30 s) would wake every 3 scenario seconds
    while the twin (scale 1) wakes every second, and they would probe at different moments.
    """
    return config.scaled(max(0.05, min(1.0, config.router.probe_interval / 10)))
