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
    """A tenth of the probe interval, between 50 ms and 1 s: late by at most that, never busy."""
    return max(0.05, min(1.0, config.scaled(config.router.probe_interval) / 10))
