"""The wire between a gateway provider client and a fake provider, in memory.

Both ends are the real code: the gateway's client builds the request body and
parses the answer's bytes (``gateway.providers``), the fake's dialect reads the
body and writes the answer (``fake_providers.servers``).  Only the socket is
missing.  So a sim call fails or succeeds for exactly the reasons a live one
does, and no mapping from fault to failure is written twice.

Pure: no I/O.  Parsed requests and answers are memoised (bodies repeat under
load); a memo hit returns the value the code would compute again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from fake_providers.faults.broken_bodies import HTML_PAGE, truncate
from fake_providers.faults.call import ChatCall
from fake_providers.faults.decisions import HttpError, Refuse, Reset
from fake_providers.faults.engine import RequestInfo
from fake_providers.faults.memo import Memo
from fake_providers.faults.reply import Reply
from fake_providers.servers.app import _dialect as fake_dialect
from fake_providers.servers.chat import retry_headers
from fake_providers.servers.dialect import Dialect, RequestProblem
from gateway.outcomes import ChatRequest, Completion, ProviderFailure
from gateway.providers.base import HTTPProviderClient, RawResponse, transport_failure
from gateway.providers.errors_map import failure_from_response
from gateway.providers.registry import make_client

__all__ = ["Wire"]

_JSON = "application/json"
_HTML = "text/html; charset=utf-8"
#: the clients need an httpx client to exist; the twin never sends through it
_NO_IO = httpx.AsyncClient()
#: any well-formed loopback URL: it is never connected to
_NOWHERE = "http://127.0.0.1:9"
#: absolute reset times in headers are read against this fixed instant (the twin sends none)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Wire:
    """One provider's two ends."""

    __slots__ = ("_answers", "_calls", "_errors", "_read", "client", "dialect", "provider")

    def __init__(self, provider: str, model: str | None = None) -> None:
        self.provider = provider
        client = make_client(provider, _NOWHERE, None, model, _NO_IO)
        if not isinstance(client, HTTPProviderClient):  # pragma: no cover - every registered client is one
            raise TypeError(f"{provider}: the twin needs an HTTP client, got {type(client).__name__}")
        self.client = client
        self.dialect: Dialect = fake_dialect(provider)   # the fake server's own choice of wire format
        self._calls: dict[ChatRequest, ChatCall | ProviderFailure] = {}
        #: ``read`` by the request object's identity (the core hands the same object to every call of a
        #: prompt): a frozen request's hash walks its messages each time.  The entry keeps the request
        #: alive, so its id cannot be reused while the entry is there.
        self._read: dict[int, tuple[ChatRequest, tuple[ChatCall, RequestInfo] | ProviderFailure]] = {}
        self._answers: Memo[Completion | ProviderFailure] = Memo(4096)
        self._errors: dict[tuple[int, str | None, float | None], ProviderFailure] = {}

    def read(self, request: ChatRequest) -> tuple[ChatCall, RequestInfo] | ProviderFailure:
        """``call_of(request)`` and the call's ``request_info()`` (what the engine decides on), or the 400."""
        seen = self._read.get(id(request))
        if seen is not None and seen[0] is request:
            return seen[1]
        call = self.call_of(request)
        found = call if isinstance(call, ProviderFailure) else (call, call.request_info())
        read = self._read
        if len(read) >= 65536:
            read.clear()
        read[id(request)] = (request, found)
        return found

    def call_of(self, request: ChatRequest) -> ChatCall | ProviderFailure:
        """What the fake reads from the body the client sends, or the 400 it answers."""
        found = self._calls.get(request)
        if found is None:
            try:
                found = self.dialect.parse_request(self.client.encode(request))
            except RequestProblem as problem:
                found = self._http_failure(HttpError(400), problem.message)
            if len(self._calls) < 65536:
                self._calls[request] = found
        return found

    def result(self, call: ChatCall, reply: Reply, timeout_s: float) -> Completion | ProviderFailure:
        """What the client makes of the fake's reply (a timeout is the caller's to decide)."""
        response = reply.response
        if isinstance(response, HttpError):
            return self._http_failure(response)
        if isinstance(response, Refuse):
            return transport_failure(self.provider, httpx.ConnectError("connection refused"), timeout_s)
        if isinstance(response, Reset):
            return transport_failure(self.provider, httpx.ReadError("connection reset by peer"), timeout_s)
        assert reply.text is not None
        key = (call.model, call.prompt_tokens, reply.text, reply.completion_tokens, reply.broken)
        found = self._answers.get(key)
        if found is None:
            found = self._answers.put(key, self._parse(call, reply))
        return found

    def timeout(self, timeout_s: float) -> ProviderFailure:
        return transport_failure(self.provider, TimeoutError(), timeout_s)

    def _parse(self, call: ChatCall, reply: Reply) -> Completion | ProviderFailure:
        assert reply.text is not None
        body = self.dialect.completion_body(call, "sim", reply.text, reply.completion_tokens)
        content_type = _JSON
        if reply.broken == "truncated":
            body = truncate(body)
        elif reply.broken == "empty":
            body = b""
        elif reply.broken == "html":
            body, content_type = HTML_PAGE, _HTML
        raw = RawResponse(200, {"content-type": content_type, "content-length": str(len(body))}, body)
        return self.client.decode(raw, _EPOCH)

    def _http_failure(self, error: HttpError, message: str | None = None) -> ProviderFailure:
        key = (error.status, error.code, error.retry_after_s)
        found = self._errors.get(key) if message is None else None
        if found is None:
            body = json.dumps(self.dialect.error(error.status, error.code, "sim", message)).encode("utf-8")
            headers = {"content-type": _JSON}
            if error.retry_after_s is not None:
                headers.update({k.decode(): v.decode() for k, v in retry_headers(error.retry_after_s)})
            found = failure_from_response(self.provider, error.status, headers, body, None)
            if message is None:
                self._errors[key] = found
        return found
