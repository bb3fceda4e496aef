"""One POST with a hard end-to-end deadline, on gevent, with classified failures.

Each connection lives in its own single-socket ``HTTPClient``; a client goes back
to the idle list only after a clean, complete answer.  Anything else (timeout,
reset, half-read body) closes it, so a broken socket is never reused and a
killed request never leaks a pool slot.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import gevent
from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPParseError

__all__ = ["KEPT_HEADERS", "ClientPool", "HttpAnswer", "RequestFailed"]

_REFUSED = {errno.ECONNREFUSED}
#: what our gateway says about an answer in headers (docs/contracts.md section 6); others send none
KEPT_HEADERS = ("x-llmdrill-provider", "x-llmdrill-cache", "x-llmdrill-attempts")
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ENOTCONN}


class RequestFailed(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    #: the few answer headers a record reads (lower-case names); the rest are not kept
    headers: dict[str, str] = field(default_factory=dict)


def _classify(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "client_timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, ConnectionError | HTTPParseError):
        # a peer that closes mid-answer looks like a parse error to the parser
        return "connection_reset"
    if isinstance(exc, OSError) and exc.errno in _REFUSED:
        return "connection_refused"
    if isinstance(exc, OSError) and exc.errno in _RESET:
        return "connection_reset"
    return f"client_error:{type(exc).__name__}"


class ClientPool:
    def __init__(self, base_url: str, max_idle: int = 256) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"host: expected an http://host:port URL, got {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._idle: list[HTTPClient] = []
        self._max_idle = max_idle

    def _client(self, timeout_s: float) -> HTTPClient:
        if self._idle:
            return self._idle.pop()
        return HTTPClient(
            self._host,
            self._port,
            concurrency=1,
            connection_timeout=timeout_s,
            network_timeout=timeout_s,
        )

    def post_json(self, path: str, body: bytes, timeout_s: float,
                  headers: dict[str, str] | None = None) -> HttpAnswer:
        """POST and read the whole answer within ``timeout_s``; raises ``RequestFailed``.

        ``headers`` go out besides the JSON content type (e.g. a target gateway's Authorization).
        """
        client = self._client(timeout_s)
        reusable = False
        deadline = gevent.Timeout(timeout_s)
        deadline.start()
        try:
            response = client.request(
                "POST", self._prefix + path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
            )
            try:
                data = response.read()
                reusable = not response.should_close()
                kept = {name: str(response.get(name)) for name in KEPT_HEADERS if response.get(name) is not None}
            finally:
                response.release()
            return HttpAnswer(response.status_code, data, kept)
        except gevent.Timeout as exc:
            if exc is not deadline:
                raise
            raise RequestFailed("client_timeout") from None
        except Exception as exc:
            raise RequestFailed(_classify(exc)) from exc
        finally:
            deadline.cancel()
            if reusable and len(self._idle) < self._max_idle:
                self._idle.append(client)
            else:
                client.close()

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            client.close()
