"""The fakes' and the proxy's guard against browsers: ``Host``, ``Origin`` and a JSON body.

Both are loopback services that change state on request (fault plans, toxics), and
a page on any site can make a browser send requests to 127.0.0.1; DNS rebinding
even lets it read the answers.  So: the ``Host`` must be a loopback name (a rebound
name is not), a state-changing request carrying an ``Origin`` must come from a
loopback origin, and a body must be declared JSON (a cross-site ``text/plain`` or
form POST needs no CORS preflight; ``application/json`` does).  The gateway has
its own guard (``gateway/service/guards.py``, with configurable names); both ask
``units.loopback`` what loopback is.
"""

from __future__ import annotations

from collections.abc import Iterable

from units.loopback import host_name, is_loopback_authority

__all__ = ["browser_refusal", "host_name"]

_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def browser_refusal(method: str, headers: Iterable[tuple[bytes, bytes]], *,
                    untyped_body_ok: bool = False) -> tuple[int, str, str] | None:
    """``(status, field, message)`` when a browser could have sent this request, else None.

    ``untyped_body_ok`` lets a body without any Content-Type through (Toxiproxy's API takes one, and
    its clients send one); the types a browser may send cross-site without a preflight stay refused.
    """
    host = origin = ctype = None
    has_body = False
    for key, value in headers:
        if key == b"host":
            host = value.decode("latin-1")
        elif key == b"origin":
            origin = value.decode("latin-1")
        elif key == b"content-type":
            ctype = value.decode("latin-1")
        elif key == b"content-length":
            has_body = has_body or value.strip() not in (b"", b"0")
        elif key == b"transfer-encoding":
            has_body = True
    if host is not None and not is_loopback_authority(host):
        return (403, "headers.host", f"Host {host!r} is not a loopback name (DNS rebinding guard); "
                                     "use 127.0.0.1 or localhost")
    if method not in _STATE_CHANGING:
        return None
    if origin is not None:
        _, sep, authority = origin.partition("://")
        if not sep or not is_loopback_authority(authority):
            return (403, "headers.origin", f"Origin {origin!r} may not change this service's state "
                                           "(cross-site request)")
    if has_body and not (untyped_body_ok and ctype is None):
        media = (ctype or "").split(";", 1)[0].strip().lower()
        if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
            shown = "none" if ctype is None else repr(ctype)
            return (415, "headers.content-type", f"expected Content-Type: application/json, got {shown} "
                                                 "(curl: add -H 'content-type: application/json')")
    return None
