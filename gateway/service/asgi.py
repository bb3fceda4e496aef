"""A small raw-ASGI router: exact-path routes, bounded bodies, lifespan, last-resort 500.

Before a handler runs, two optional gates: ``guard`` (the Host/Origin/content-type
checks, any route) and ``admission`` (the in-flight cap, routes marked
``admitted``); both answer before the body is read, so a refused request costs
no buffering.

It replaces Starlette on the gateway because a cache hit must cost tens of
microseconds and Starlette's routing, request and response objects cost more than
the stack's own work.  What clients see is kept as Starlette answered: the 404
and 405 plain-text bodies with ``allow``, GET routes also answering HEAD, a 307
to the path with or without its trailing slash, and a JSON 500 (from
``on_error``) when a handler raises.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from units.asgi import Receive, Scope, Send

from .admission import Admission
from .http import Headers, Request, Response, text_response

__all__ = ["AsgiRouter", "Handler", "Route"]

log = logging.getLogger("llmdrill.gateway")

Handler = Callable[[Request], Awaitable[Response]]
Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]
ErrorHandler = Callable[[Request, Exception], Response]
#: a refusal to send instead of calling the route's handler, or None to go on
Guard = Callable[["Route", str, Headers], Response | None]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    #: read (and bound) the request body before calling the handler
    reads_body: bool = False
    #: counts against the admission cap (the user-facing routes)
    admitted: bool = False


class AsgiRouter:
    """An ASGI 3 application dispatching on ``(method, path)``."""

    __slots__ = ("_admission", "_allow", "_guard", "_lifespan", "_max_body", "_on_error", "_on_shed", "_routes")

    def __init__(self, routes: Iterable[Route], *, max_body: int, on_error: ErrorHandler,
                 lifespan: Lifespan | None = None, guard: Guard | None = None,
                 admission: Admission | None = None,
                 on_shed: Callable[[Route], Response] | None = None) -> None:
        if max_body < 0:
            raise ValueError(f"AsgiRouter: max_body must be >= 0, got {max_body}")
        self._routes: dict[tuple[str, str], Route] = {}
        self._allow: dict[str, bytes] = {}
        for route in routes:
            methods = (route.method, "HEAD") if route.method == "GET" else (route.method,)
            for method in methods:
                key = (method, route.path)
                if key in self._routes:
                    raise ValueError(f"AsgiRouter: two routes for {method} {route.path}")
                self._routes[key] = route
            # Starlette answers a wrong method with the first route registered for the path.
            self._allow.setdefault(route.path, ", ".join(methods).encode("ascii"))
        self._max_body = max_body
        self._on_error = on_error
        self._lifespan = lifespan
        self._guard = guard
        if admission is not None and on_shed is None:
            raise ValueError("AsgiRouter: an admission cap needs on_shed to render the refusal")
        self._admission = admission
        self._on_shed = on_shed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._run_lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        headers = tuple(scope["headers"])
        route = self._routes.get((method, path))
        if route is None:
            await _send(send, self._miss(scope, method, path, headers), head=False)
            return
        if self._guard is not None and (refusal := self._guard(route, method, headers)) is not None:
            await _send(send, refusal, head=method == "HEAD")
            return
        admission = self._admission if route.admitted else None
        if admission is not None and not admission.try_enter():
            assert self._on_shed is not None
            await _send(send, self._on_shed(route), head=method == "HEAD")
            return
        try:
            await self._dispatch(route, method, path, headers, receive, send)
        finally:
            if admission is not None:
                admission.leave()

    async def _dispatch(self, route: Route, method: str, path: str, headers: Headers, receive: Receive,
                        send: Send) -> None:
        body, too_large = b"", False
        if route.reads_body:
            read = await self._read_body(receive, headers)
            if read is None:
                return  # the client went away: nobody to answer
            body, too_large = read
        request = Request(method, path, headers, body, too_large)
        try:
            response = await route.handler(request)
        except Exception as exc:
            log.error("unexpected %s on %s %s", type(exc).__name__, method, path, exc_info=exc)
            response = self._on_error(request, exc)
        await _send(send, response, head=method == "HEAD")

    def _miss(self, scope: Scope, method: str, path: str, headers: tuple[tuple[bytes, bytes], ...]) -> Response:
        allow = self._allow.get(path)
        if allow is not None:
            return text_response("Method Not Allowed", 405, ((b"allow", allow),))
        if path != "/":
            other = path[:-1] if path.endswith("/") else path + "/"
            if other in self._allow:
                return _redirect(scope, other, headers)
        return text_response("Not Found", 404)

    async def _read_body(self, receive: Receive,
                         headers: tuple[tuple[bytes, bytes], ...]) -> tuple[bytes, bool] | None:
        limit = self._max_body
        for key, value in headers:
            if key == b"content-length":
                if value.isdigit() and int(value) > limit:
                    return b"", True
                break
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", True
            if not message.get("more_body", False):
                if not chunks:
                    return chunk, False
                chunks.append(chunk)
                return b"".join(chunks), False
            chunks.append(chunk)

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            if self._lifespan is not None:
                try:
                    await stack.enter_async_context(self._lifespan(self))
                except Exception as exc:
                    log.exception("gateway startup failed")
                    await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            try:
                await stack.aclose()
            except Exception as exc:
                log.exception("gateway shutdown failed")
                await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
            await send({"type": "lifespan.shutdown.complete"})


def _redirect(scope: Scope, path: str, headers: tuple[tuple[bytes, bytes], ...]) -> Response:
    scheme = scope.get("scheme", "http")
    host = next((v.decode("latin-1") for k, v in headers if k == b"host"), None)
    if host is None:
        server = scope.get("server")
        if server is None:
            host = ""
        else:
            default = {"http": 80, "https": 443}.get(scheme)
            host = server[0] if server[1] == default else f"{server[0]}:{server[1]}"
    query: bytes = scope.get("query_string", b"")
    url = f"{scheme}://{host}{scope.get('root_path', '')}{path}"
    if query:
        url += "?" + query.decode("latin-1")
    return Response(307, b"", None, ((b"location", url.encode("latin-1")),))


async def _send(send: Send, response: Response, *, head: bool) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": response.raw_headers()})
    await send({"type": "http.response.body", "body": b"" if head else response.body})
