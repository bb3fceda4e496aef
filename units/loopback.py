"""What counts as loopback: one check for every bind address, control API and browser guard.

``localhost`` and the loopback literals (127.0.0.0/8, ``::1``) are loopback; so is any
``*.localhost`` name, which RFC 6761 reserves for loopback.  An empty host means
every interface, so it is not.
"""

from __future__ import annotations

import functools
import ipaddress

__all__ = ["host_name", "is_loopback_authority", "is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``*.localhost`` and loopback address literals."""
    host = host.strip().lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(authority: str) -> str:
    """The host of ``host[:port]`` (IPv6 in brackets), lower-case, without the port."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        end = authority.find("]")
        return authority[1:end] if end > 0 else authority
    name, sep, port = authority.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else authority


# Asked on every request the fakes and the proxy serve, almost always with the same one or two Host
# values; parsing the address each time was ~15 % of a fake's call.  Bounded, so that a client sending
# a new Host each time only evicts.
@functools.lru_cache(maxsize=256)
def is_loopback_authority(authority: str) -> bool:
    """True when the host of ``host[:port]`` is loopback."""
    return is_loopback_host(host_name(authority))
