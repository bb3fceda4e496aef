"""The Redis cache backend against a real redis-server on a loopback port."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from gateway.service.cache_backends import RedisBackend

from .conftest import parse_body, serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: .ci/run installs it (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start within 10 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_backend_round_trip_and_ttl(redis_url: str) -> None:
    async def go() -> None:
        cache = RedisBackend(redis_url)
        try:
            await cache.set("k", "valor ñ", 0.3)
            assert await cache.get("k") == "valor ñ"
            await asyncio.sleep(0.45)
            assert await cache.get("k") is None
            assert cache.errors == 0
        finally:
            await cache.close()
    asyncio.run(go())


def test_gateway_serves_hits_from_redis_across_instances(redis_url: str) -> None:
    overrides = {"cache": {"backend": "redis", "redis_url": redis_url}, "degraded": {"enabled": True}}

    async def go() -> None:
        async with serve(overrides) as (client, _, _):
            first = await client.post("/v1/appointments/parse", json=parse_body("cita redis mañana 10am con Dr. Pérez"))
            assert first.headers["x-llmdrill-cache"] == "miss"
        # a second gateway process shares the cache through Redis
        async with serve(overrides) as (client, _, clients2):
            again = await client.post("/v1/appointments/parse", json=parse_body("cita redis mañana 10am con Dr. Pérez"))
            assert again.headers["x-llmdrill-cache"] == "hit"
            assert sum(len(c.calls) for c in clients2.values()) == 0
            assert again.json()["entities"]["contacto"] == "Dr. Pérez"
    asyncio.run(go())


def test_redis_down_is_a_miss_not_a_failure() -> None:
    port = _free_port()   # nothing listens here
    overrides = {"cache": {"backend": "redis", "redis_url": f"redis://127.0.0.1:{port}/0"},
                 "degraded": {"enabled": True}}

    async def go() -> None:
        async with serve(overrides) as (client, gw, _):
            r = await client.post("/v1/appointments/parse", json=parse_body())
            assert r.status_code == 200 and r.headers["x-llmdrill-cache"] == "miss"
            assert isinstance(gw.cache, RedisBackend) and gw.cache.errors >= 1
    asyncio.run(go())


def _start_redis(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: .ci/run installs it (apt-get install redis-server)")
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("redis-server did not start within 10 s")


def test_a_redis_outage_is_logged_counted_and_shown_by_healthz(caplog: pytest.LogCaptureFixture) -> None:
    # Issue 8 item 6: answers degrade to misses, and the outage is visible — it used to be invisible.
    port = _free_port()
    redis_proc = _start_redis(port)
    overrides = {"cache": {"backend": "redis", "redis_url": f"redis://127.0.0.1:{port}/0"},
                 "degraded": {"enabled": True}}

    async def go() -> None:
        nonlocal redis_proc
        async with serve(overrides) as (client, _, _):
            first = await client.post("/v1/appointments/parse", json=parse_body("cita caída mañana 10am"))
            assert first.status_code == 200
            health = (await client.get("/healthz")).json()
            assert health["status"] == "ok" and health["cache"]["up"] is True

            redis_proc.terminate()
            redis_proc.wait(timeout=10)
            with caplog.at_level("WARNING", logger="llmdrill.gateway"):
                again = await client.post("/v1/appointments/parse", json=parse_body("cita caída mañana 10am"))
            assert again.status_code == 200 and again.headers["x-llmdrill-cache"] == "miss"
            assert any("unreachable" in r.getMessage() for r in caplog.records), caplog.records
            health = (await client.get("/healthz")).json()
            assert health["status"] == "degraded"
            assert health["cache"]["up"] is False and health["cache"]["error"]
            metrics = (await client.get("/metrics")).text
            assert "gateway_cache_backend_up 0.0" in metrics
            errors = next(line for line in metrics.splitlines()
                          if line.startswith("gateway_cache_backend_errors_total "))
            assert float(errors.split()[1]) >= 1

            # Down, lookups skip Redis instead of each waiting out its connect timeout.
            started = time.monotonic()
            for i in range(5):
                r = await client.post("/v1/appointments/parse", json=parse_body(f"cita {i} mañana 10am"))
                assert r.status_code == 200
            assert time.monotonic() - started < 1.0

            redis_proc = _start_redis(port)
            await asyncio.sleep(1.1)   # the backend retries a down Redis once a second
            health = (await client.get("/healthz")).json()
            assert health["status"] == "ok" and health["cache"]["up"] is True
            assert "gateway_cache_backend_up 1.0" in (await client.get("/metrics")).text
    try:
        asyncio.run(go())
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
