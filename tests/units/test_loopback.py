"""The one loopback check: a table of examples and counter-examples."""

from __future__ import annotations

import pytest

from units.loopback import host_name, is_loopback_authority, is_loopback_host

LOOPBACK = ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "app.localhost", " localhost "]
NOT_LOOPBACK = ["", "0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", "localhost.example.com",
                "127.0.0.1.nip.io", "evil.com", "::ffff:10.0.0.1"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_other_hosts(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("authority", "name"),
    [("127.0.0.1:8080", "127.0.0.1"), ("[::1]:80", "::1"), ("[::1]", "::1"), ("Example.COM", "example.com"),
     ("localhost:notaport", "localhost:notaport"), ("::1", "::1")],
)
def test_host_name(authority: str, name: str) -> None:
    assert host_name(authority) == name


def test_authority_with_port() -> None:
    assert is_loopback_authority("localhost:9000")
    assert is_loopback_authority("[::1]:9000")
    assert not is_loopback_authority("rebind.example:9000")
