"""The one seam every provider client sits on, and the POST that crosses it.

``ProviderClient`` is all the gateway sees of a provider: one ``call`` that
returns a ``Completion`` or a ``ProviderFailure`` — a value, never an exception,
as the request path's ``CallProvider`` effect wants it.  ``post_json`` is the
only place here that does network I/O: it turns every way a call can break into
a ``ProviderFailure``.  What an HTTP answer means is the client's ``decode``, a
pure function of the bytes (over the pure ``errors_map``/``completions``
modules), which the SimPy twin calls on the bytes its fakes write; ``encode``
is the request body, likewise shared.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx

from ..core.call_key import CALL_KEY_HEADER
from ..errors import BadResponse, error_for
from ..outcomes import ChatRequest, Completion, FailureKind, ProviderFailure
from .errors_map import failure_from_response
from .redact import redact

__all__ = [
    "MAX_BODY_BYTES",
    "HTTPProviderClient",
    "ProviderClient",
    "RawResponse",
    "check_base_url",
    "check_timeout",
    "post_json",
    "transport_failure",
    "utc_now",
]

#: A chat answer is kilobytes; past this the server is broken, not verbose.
MAX_BODY_BYTES = 8 * 1024 * 1024


@runtime_checkable
class ProviderClient(Protocol):
    name: str
    model: str

    async def call(
        self, request: ChatRequest, timeout_s: float, call_key: int | None = None
    ) -> Completion | ProviderFailure:
        """One call, at most ``timeout_s`` seconds overall: its answer, or how it failed.

        ``call_key``: sent as ``x-llmdrill-call-key`` (``gateway.core.call_key``) when not None; only the
        harness's fakes read it, and the gateway passes one only when ``harness.call_keys`` is on.
        """
        ...


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]   # names lower-cased
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299


def utc_now() -> datetime:
    """Wall-clock time, only for turning providers' absolute reset times into durations."""
    return datetime.now(UTC)


def check_timeout(timeout_s: float) -> float:
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float):
        raise ValueError(f"timeout_s must be a number of seconds, got {type(timeout_s).__name__}")
    if not math.isfinite(timeout_s) or timeout_s <= 0:
        raise ValueError(f"timeout_s must be a positive finite number of seconds, got {timeout_s!r}")
    return float(timeout_s)


def check_base_url(base_url: str, provider: str) -> str:
    """The provider root (``http://127.0.0.1:8001``), without a trailing slash."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError(f"{provider}: base_url must be a non-empty URL such as http://127.0.0.1:8001")
    try:
        url = httpx.URL(base_url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"{provider}: base_url {base_url!r} is not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{provider}: base_url {base_url!r} must be an http:// or https:// URL with a host")
    if url.query or url.fragment:
        raise ValueError(f"{provider}: base_url {base_url!r} must not carry a query or fragment")
    return str(url).rstrip("/")


def _kind_of_transport_error(exc: BaseException) -> FailureKind:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return FailureKind.TIMEOUT
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        return FailureKind.CONNECTION_REFUSED
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FailureKind.BAD_RESPONSE
    if isinstance(exc, httpx.TransportError):
        # RemoteProtocolError (closed mid-body), ReadError (reset), WriteError, CloseError...
        return FailureKind.CONNECTION_RESET
    # DecodingError (bad content-encoding), TooManyRedirects: the answer itself is unusable.
    return FailureKind.BAD_RESPONSE


def _detail(exc: BaseException) -> str:
    # httpx often wraps an errno-bearing OSError in an exception with an empty message.
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            break
        if str(seen):
            return str(seen) if seen is exc else f"{type(seen).__name__}: {seen}"
        seen = seen.__cause__ or seen.__context__
    return "no detail"


def transport_failure(
    provider: str, exc: BaseException, timeout_s: float, secrets: Iterable[str | None] = ()
) -> ProviderFailure:
    """The failure a transport exception means (pure: a classification of exception types)."""
    kind = _kind_of_transport_error(exc)
    if isinstance(exc, TimeoutError):
        text = f"no complete response within the {timeout_s:g} s deadline"
    else:
        detail = _detail(exc)
        text = f"{type(exc).__name__}: {detail}"
        if kind is FailureKind.TIMEOUT:
            text += f" (timeout {timeout_s:g} s)"
    return ProviderFailure(provider=provider, kind=kind, message=redact(text, secrets)[:300])


async def _read_capped(response: httpx.Response, limit: int) -> bytes | None:
    """The whole body, or None past ``limit`` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def post_json(
    http: httpx.AsyncClient,
    *,
    provider: str,
    url: str,
    headers: Mapping[str, str],
    payload: Mapping[str, Any],
    timeout_s: float,
    secrets: Iterable[str | None] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> RawResponse | ProviderFailure:
    """POST ``payload`` as JSON and read the whole answer within ``timeout_s`` seconds overall.

    Returns any HTTP status as a ``RawResponse``, and everything that is not an
    HTTP answer (timeout, refused, reset, oversize body) as a ``ProviderFailure``.
    """
    timeout_s = check_timeout(timeout_s)
    secret_list = tuple(secrets)
    try:
        # httpx's timeout is per phase (connect, each read...): a body that trickles
        # one byte per second never trips it. The asyncio deadline covers the whole call.
        async with asyncio.timeout(timeout_s):
            async with http.stream(
                "POST", url, json=dict(payload), headers=dict(headers), timeout=httpx.Timeout(timeout_s)
            ) as response:
                body = await _read_capped(response, max_body_bytes)
                status = response.status_code
                got_headers = {k.lower(): v for k, v in response.headers.items()}
    except (TimeoutError, httpx.RequestError) as exc:
        return transport_failure(provider, exc, timeout_s, secret_list)
    if body is None:
        return ProviderFailure(provider=provider, kind=FailureKind.BAD_RESPONSE,
                               message=f"HTTP {status}: body larger than {max_body_bytes} bytes", status=status)
    return RawResponse(status=status, headers=got_headers, body=body)


class HTTPProviderClient:
    """What the three JSON-over-HTTP clients share; subclasses say only what differs.

    ``utcnow`` is the wall clock used solely to read absolute reset times in
    headers; tests pass a fixed one.
    """

    __slots__ = ("_api_key", "_base_url", "_http", "_utcnow", "model", "name")

    path: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        http: httpx.AsyncClient,
        name: str,
        utcnow: Callable[[], datetime] = utc_now,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("provider client name must be a non-empty string")
        if not isinstance(model, str) or not model:
            raise ValueError(f"{name}: model must be a non-empty string")
        if api_key is not None and not isinstance(api_key, str):
            raise ValueError(f"{name}: api_key must be a string or None")
        if not isinstance(http, httpx.AsyncClient):
            raise ValueError(f"{name}: http must be an httpx.AsyncClient, got {type(http).__name__}")
        self.name = name
        self.model = model
        self._base_url = check_base_url(base_url, name)
        self._api_key = api_key or None
        self._http = http
        self._utcnow = utcnow

    def __repr__(self) -> str:
        # Never the key.
        return f"{type(self).__name__}(name={self.name!r}, model={self.model!r}, base_url={self._base_url!r})"

    @property
    def url(self) -> str:
        return self._base_url + self.path

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def encode(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body this provider's API takes for ``request``; raises ``ValueError`` on a bad one."""
        raise NotImplementedError

    def _completion(self, raw: RawResponse, now_utc: datetime | None) -> Completion:
        """A 2xx's body as a completion; raises ``BadResponse`` (the ``completions`` parsers' contract)."""
        raise NotImplementedError

    def decode(self, raw: RawResponse, now_utc: datetime | None) -> Completion | ProviderFailure:
        """What an HTTP answer means (pure); ``now_utc`` reads absolute reset times, None when unknown."""
        if not raw.ok:
            return failure_from_response(self.name, raw.status, raw.headers, raw.body, now_utc,
                                         secrets=(self._api_key,))
        try:
            return self._completion(raw, now_utc)
        except BadResponse as exc:
            return exc.failure

    async def call(
        self, request: ChatRequest, timeout_s: float, call_key: int | None = None
    ) -> Completion | ProviderFailure:
        headers = {"accept": "application/json", "user-agent": "llmdrill-gateway", **self._headers()}
        if call_key is not None:
            headers[CALL_KEY_HEADER] = str(call_key)
        raw = await post_json(
            self._http,
            provider=self.name,
            url=self.url,
            headers=headers,
            payload=self.encode(request),
            timeout_s=timeout_s,
            secrets=(self._api_key,),
        )
        if isinstance(raw, ProviderFailure):
            return raw
        return self.decode(raw, self._utcnow())

    async def complete(self, request: ChatRequest, timeout_s: float) -> Completion:
        """``call`` in the manner of the providers' SDKs: a failure raises its ``ProviderError`` subclass."""
        result = await self.call(request, timeout_s)
        if isinstance(result, ProviderFailure):
            raise error_for(result)
        return result
