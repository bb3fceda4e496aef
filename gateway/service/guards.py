"""Browser guards for a loopback service: ``Host``, ``Origin`` and the JSON content type.

A page on any site can make a browser send requests to 127.0.0.1; DNS rebinding
even lets it read the answers, under a name of its own.  Three checks close that:
the ``Host`` must be a name this service answers to (a rebound name is not), a
state-changing request that carries an ``Origin`` must come from such a name too,
and a body must be declared JSON — a cross-site form or ``text/plain`` POST, which
a browser sends without asking, is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from units.loopback import host_name, is_loopback_host

__all__ = ["ANY_HOST", "LOOPBACK_NAMES", "HostGuard", "Refusal", "host_name", "is_json_type"]

ANY_HOST = "*"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CACHE_LIMIT = 256


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    field: str
    message: str


def is_json_type(value: bytes | None) -> bool:
    """``application/json`` or any ``+json`` type, parameters ignored."""
    if value is None:
        return False
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class HostGuard:
    """Decides whether a request's ``Host``, ``Origin`` and content type may reach a handler."""

    __slots__ = ("_any", "_known", "_names")

    def __init__(self, allowed: Iterable[str] = LOOPBACK_NAMES) -> None:
        names = frozenset(host_name(a) for a in allowed)
        self._any = ANY_HOST in names
        self._names = names
        # Decisions per raw header value: a client sends the same Host on every request.
        self._known: dict[bytes, bool] = {}

    def allows_host(self, raw: bytes) -> bool:
        known = self._known.get(raw)
        if known is None:
            name = host_name(raw.decode("latin-1"))
            known = self._any or name in self._names or (
                "localhost" in self._names and is_loopback_host(name))
            if len(self._known) < _CACHE_LIMIT:
                self._known[raw] = known
        return known

    def check(self, method: str, headers: Iterable[tuple[bytes, bytes]], has_body: bool) -> Refusal | None:
        """None when the request may go on, else why not (403 for Host/Origin, 415 for the type)."""
        host = origin = ctype = None
        for key, value in headers:
            if key == b"host":
                host = value
            elif key == b"origin":
                origin = value
            elif key == b"content-type":
                ctype = value
        # HTTP/1.0 clients may send no Host; a browser always sends one.
        if host is not None and not self.allows_host(host):
            return Refusal(403, "headers.host", f"Host {host.decode('latin-1')!r} is not a name this "
                                                "service answers to (DNS rebinding guard); use 127.0.0.1 "
                                                "or localhost, or add it to the allowed hosts")
        if method not in _STATE_CHANGING:
            return None
        if origin is not None:
            text = origin.decode("latin-1")
            _, sep, authority = text.partition("://")
            if not sep or not self.allows_host(authority.encode("latin-1")):
                return Refusal(403, "headers.origin", f"Origin {text!r} may not change this service's "
                                                      "state (cross-site request)")
        if has_body and not is_json_type(ctype):
            shown = "none" if ctype is None else repr(ctype.decode("latin-1"))
            return Refusal(415, "headers.content-type", f"expected Content-Type: application/json, got {shown}"
                                                        " (curl: add -H 'content-type: application/json')")
        return None
