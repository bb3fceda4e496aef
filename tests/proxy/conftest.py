"""Fixtures: one proxy server per module (a thread with its own loop) and loopback upstreams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from proxy_helpers import EchoServer

from fake_providers.proxy import ProxyServer, ToxiproxyClient


@pytest.fixture(scope="module")
def server() -> Iterator[ProxyServer]:
    srv = ProxyServer(seed=1)
    srv.start_in_thread()
    yield srv
    srv.stop_thread()


@pytest.fixture
def api(server: ProxyServer) -> Iterator[str]:
    """The API URL, with every proxy deleted after the test."""
    yield server.url
    for name in requests.get(server.url + "/proxies", timeout=5).json():
        requests.delete(f"{server.url}/proxies/{name}", timeout=5)


@pytest.fixture
def client(api: str) -> ToxiproxyClient:
    return ToxiproxyClient(api, timeout_s=5)


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    srv = EchoServer()
    yield srv
    srv.close()


