"""Where cached answers live: process memory (default) or Redis (shared, by URL)."""

from __future__ import annotations

from typing import Protocol

from ..clock import Clock
from ..policy.cache_policy import MemoryCache

__all__ = ["CacheBackend", "MemoryBackend", "RedisBackend"]


class CacheBackend(Protocol):
    #: True when get/set never block, so the interpreter may skip the await
    synchronous: bool

    def get_now(self, key: str) -> str | None: ...
    def set_now(self, key: str, value: str, ttl_s: float) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float) -> None: ...
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

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._cache)


class RedisBackend:
    """Redis by URL. A Redis that is down is a cache miss, never a failed request."""

    synchronous = False
    PREFIX = "llmdrill:cache:"

    def __init__(self, url: str, timeout_s: float = 0.25) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, decode_responses=True
        )
        self.errors = 0

    def get_now(self, key: str) -> str | None:  # pragma: no cover - never called: not synchronous
        raise NotImplementedError

    def set_now(self, key: str, value: str, ttl_s: float) -> None:  # pragma: no cover
        raise NotImplementedError

    async def get(self, key: str) -> str | None:
        try:
            value = await self._redis.get(self.PREFIX + key)
        except Exception:
            self.errors += 1
            return None
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str, ttl_s: float) -> None:
        try:
            await self._redis.set(self.PREFIX + key, value, px=max(1, int(ttl_s * 1000)))
        except Exception:
            self.errors += 1

    async def close(self) -> None:
        await self._redis.aclose()
