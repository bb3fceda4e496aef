"""toxiproxy-python (through ToxiproxyClient) against our server."""

from __future__ import annotations

import socket

import pytest
import toxiproxy
from proxy_helpers import EchoServer, connect, round_trip
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from fake_providers.proxy import ToxiproxyClient, ToxiproxyError


def _port(proxy: toxiproxy.Proxy) -> int:
    return int(proxy.listen.rsplit(":", 1)[1])


def test_create_list_destroy(client: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = client.create_proxy("svc", echo.address)
    assert isinstance(proxy, toxiproxy.Proxy) and proxy.enabled is True
    assert round_trip(connect(_port(proxy))) < 1.0
    assert set(client.proxies()) == {"svc"}
    with pytest.raises(ProxyExists):
        client.create_proxy("svc", echo.address)
    assert client.get_proxy("svc")["upstream"] == echo.address
    assert client.destroy_proxy("svc") is True
    assert client.proxies() == {}
    with pytest.raises(NotFound):
        client.destroy_proxy("svc")


def test_enable_disable(client: ToxiproxyClient, echo: EchoServer) -> None:
    proxy = client.create_proxy("d", echo.address)
    client.disable("d")
    assert client.get_proxy("d")["enabled"] is False
    with pytest.raises(OSError):
        connect(_port(proxy), timeout=1)
    client.enable("d")
    assert round_trip(connect(_port(proxy))) < 1.0


def test_toxics_through_the_library(client: ToxiproxyClient, echo: EchoServer) -> None:
    client.create_proxy("x", echo.address)
    toxic = client.add_toxic("x", "latency", attributes={"latency": 5})
    assert toxic["name"] == "latency_downstream"
    listed = client.toxics("x")
    assert set(listed) == {"latency_downstream"}
    assert listed["latency_downstream"].attributes == {"latency": 5, "jitter": 0}
    with pytest.raises(ProxyExists):  # the library maps every 409 to ProxyExists
        client.add_toxic("x", "latency", attributes={"latency": 5})
    with pytest.raises(InvalidToxic):
        client.add_toxic("x", "nonsense")
    with pytest.raises(InvalidToxic):
        client.add_toxic("x", "latency", name="neg", attributes={"latency": -5})
    with pytest.raises(NotFound):
        client.add_toxic("missing", "latency")
    updated = client.update_toxic("x", "latency_downstream", attributes={"latency": 7}, toxicity=0.25)
    assert updated["attributes"]["latency"] == 7 and updated["toxicity"] == 0.25
    assert client.remove_toxic("x", "latency_downstream") is True
    with pytest.raises(NotFound):
        client.remove_toxic("x", "latency_downstream")


def test_reset_version_populate(client: ToxiproxyClient, echo: EchoServer) -> None:
    client.create_proxy("r", echo.address)
    client.add_toxic("r", "timeout", stream="upstream")
    client.disable("r")
    assert client.reset() is True
    assert client.get_proxy("r")["enabled"] is True and client.toxics("r") == {}
    assert '"version"' in client.version()
    made = client.populate([{"name": "pop", "upstream": echo.address}])
    assert [p["name"] for p in made] == ["pop"]


def test_clients_for_two_servers_do_not_mix(client: ToxiproxyClient, echo: EchoServer) -> None:
    from fake_providers.proxy import ProxyServer

    with ProxyServer() as other:
        second = ToxiproxyClient(other.url)
        second.create_proxy("only-there", echo.address)
        client.create_proxy("only-here", echo.address)
        assert set(second.proxies()) == {"only-there"}
        assert set(client.proxies()) == {"only-here"}


def test_timeouts_and_unreachable_servers_raise_clear_errors() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts (via the backlog) but never answers
    try:
        slow = ToxiproxyClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.3)
        with pytest.raises(ToxiproxyError, match=r"did not answer within 0\.3s"):
            slow.proxies()
    finally:
        silent.close()
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(ToxiproxyError, match="cannot connect"):
        ToxiproxyClient(f"http://127.0.0.1:{port}").proxies()
    with pytest.raises(ValueError, match="http://host:port"):
        ToxiproxyClient("localhost:8474")
