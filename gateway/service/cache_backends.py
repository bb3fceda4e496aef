"""Where cached answers live: process memory (default) or Redis (shared, by URL)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from ..clock import Clock, MonotonicClock
from ..policy.cache_policy import MemoryCache

__all__ = ["CacheBackend", "MemoryBackend", "RedisBackend"]

log = logging.getLogger("llmdrill.gateway")


class CacheBackend(Protocol):
    #: True when get/set never block, so the interpreter may skip the await
    synchronous: bool

    def get_now(self, key: str) -> str | None: ...
    def set_now(self, key: str, value: str, ttl_s: float) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float) -> None: ...
    async def ping(self) -> bool: ...
    def status(self) -> dict[str, object]: ...
    async def close(self) -> None: ...


class MemoryBackend:
    synchronous = True

    def __init__(self, clock: Clock, max_entries: int) -> None:
        self._clock = clock
        self._cache = MemoryCache(max_entries)

    def get_now(self, key: str) -> str | None:
        return self._cache.get(key, self._clock.now())

    def set_now(self, key: str, value: str, ttl_s: float) -> None:
        self._cache.set(key, value, self._clock.now(), ttl_s)

    async def get(self, key: str) -> str | None:
        return self.get_now(key)

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        self.set_now(key, value, ttl_s)

    async def ping(self) -> bool:
        return True

    def status(self) -> dict[str, object]:
        return {"backend": "memory", "up": True, "entries": len(self._cache)}

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._cache)


class RedisBackend:
    """Redis by URL. A Redis that is down is a cache miss, never a failed request.

    An outage is observable: one log line when Redis stops answering and one when it is back,
    ``up``/``last_error`` for ``/healthz``, and ``on_error`` (the metrics' counter) per failure.
    While it is down, lookups skip it for ``retry_s`` instead of each waiting out a connect timeout.
    """

    synchronous = False
    PREFIX = "llmdrill:cache:"

    def __init__(self, url: str, timeout_s: float = 0.25, clock: Clock | None = None, retry_s: float = 1.0,
                 on_error: Callable[[], None] | None = None) -> None:
        import redis.asyncio as aioredis  # lazy: ~0.25 s, paid only by a gateway configured with Redis

        self._redis = aioredis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, decode_responses=True
        )
        self._where = _without_password(url)
        self._clock = clock or MonotonicClock()
        self._retry_s = retry_s
        self._retry_at = 0.0
        self._on_error = on_error
        self.errors = 0
        self.up = True
        self.last_error: str | None = None

    def get_now(self, key: str) -> str | None:  # pragma: no cover - never called: not synchronous
        raise NotImplementedError

    def set_now(self, key: str, value: str, ttl_s: float) -> None:  # pragma: no cover
        raise NotImplementedError

    async def get(self, key: str) -> str | None:
        if self._skipping():
            return None
        try:
            value = await self._redis.get(self.PREFIX + key)
        except Exception as exc:
            self._failed(exc)
            return None
        self._answered()
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        if self._skipping():
            return
        try:
            await self._redis.set(self.PREFIX + key, value, px=max(1, int(ttl_s * 1000)))
        except Exception as exc:
            self._failed(exc)
            return
        self._answered()

    async def ping(self) -> bool:
        """Whether Redis answers now (at most once per ``retry_s`` while it is down)."""
        if self._skipping():
            return False
        try:
            await self._redis.ping()
        except Exception as exc:
            self._failed(exc)
            return False
        self._answered()
        return True

    def status(self) -> dict[str, object]:
        out: dict[str, object] = {"backend": "redis", "url": self._where, "up": self.up, "errors": self.errors}
        if not self.up:
            out["error"] = self.last_error
        return out

    def _skipping(self) -> bool:
        return not self.up and self._clock.now() < self._retry_at

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        self._retry_at = self._clock.now() + self._retry_s
        if self._on_error is not None:
            self._on_error()
        if self.up:
            self.up = False
            log.warning("redis cache at %s unreachable (%s): answering as cache misses until it is back",
                        self._where, self.last_error)

    def _answered(self) -> None:
        if not self.up:
            self.up = True
            log.warning("redis cache at %s reachable again after %d failed operations", self._where,
                        self.errors)

    async def close(self) -> None:
        await self._redis.aclose()


def _without_password(url: str) -> str:
    """The URL as a log line may show it: a password in it is a credential."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"
