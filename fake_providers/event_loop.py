"""The event loop the fakes and the proxy run on."""

from __future__ import annotations

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (as uvicorn itself would pick; it halves the proxy's per-chunk overhead),
    else asyncio's own loop."""
    try:
        import uvloop  # lazy: an optional dependency, tried where the loop is made
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
