"""The gateway's periodic flows: health probes and gold probes, each in its own task.

A flow run here is the same pure flow the twin's probe processes run; only the
waiting (``asyncio.sleep``) and the effects (``perform``) are the live shell's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from ..core.effects import Flow
from ..providers.base import ProviderClient
from .cache_backends import CacheBackend
from .interpreter import perform

__all__ = ["every"]

log = logging.getLogger("llmdrill.gateway")


async def every(
    period_s: float,
    flow: Callable[[], Flow],
    clients: Mapping[str, ProviderClient],
    cache: Callable[[], CacheBackend],
    what: str,
) -> None:
    """Run a fresh ``flow()`` every ``period_s`` seconds until cancelled.

    ``cache`` is read at each run: the service swaps its backend in at startup.  A run that raises is
    logged and the loop goes on: a probe must never take the gateway down.
    """
    while True:
        await asyncio.sleep(period_s)
        try:
            await perform(flow(), clients, cache())
        except Exception:
            log.exception("%s failed", what)
