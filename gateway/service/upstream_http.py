"""The one ``httpx.AsyncClient`` every provider client of a live gateway shares.

Measured on one core against a zero-latency upstream, 64 calls in flight
(``bench/bench_gateway.py`` and the notes in ``fast_transport``): httpx's default
transport gives ~550-900 calls/s whatever the pool size (2 to 2,000 connections),
so plain-HTTP upstreams go through ``FastHTTPTransport``; HTTPS keeps httpx's
own transport (HTTP/1.1: ``http2=False``, as HTTP/2 needs the h2 package and
buys nothing against one upstream host per provider).
"""

from __future__ import annotations

import httpx

from .fast_transport import FastHTTPTransport

__all__ = ["upstream_client"]

#: Per origin, as httpx's limits were before: a slow provider under load may hold many calls open
#: at once, and a call must wait on the provider, not on our pool (pool timeout = the call's timeout).
MAX_CONNECTIONS = 2000
MAX_KEEPALIVE = 200


def upstream_client(timeout_s: float, *, fast: bool = True) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE)
    fallback = httpx.AsyncHTTPTransport(http2=False, limits=limits)
    transport: httpx.AsyncBaseTransport = (
        FastHTTPTransport(fallback, max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE)
        if fast else fallback)
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout_s))
