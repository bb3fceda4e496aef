"""Toxiproxy's HTTP API over a ProxyCollection (paths, status codes and bodies as in api.go)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..browser_guard import browser_refusal
from .errors import ApiError, bad_request, toxic_not_found
from .proxies import ProxyCollection

__all__ = ["TOXIPROXY_VERSION", "build_app"]

TOXIPROXY_VERSION = "2.12.0"  # the Toxiproxy release whose API this mirrors
REQUEST_ID_HEADER = "X-Toxiproxy-Request-Id"

Handler = Callable[[Request], Awaitable[Response]]


def _error(err: ApiError) -> JSONResponse:
    return JSONResponse(err.body(), status_code=err.status)


async def _json_body(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("empty body, expected JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"invalid JSON: {exc}") from exc


class _RequestIdAndBrowserGuard:
    """Every response carries a request id; browsers are refused, as Toxiproxy refuses them
    (a web page must not be able to reconfigure the network by a cross-site request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(10)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        agent = dict(scope.get("headers", [])).get(b"user-agent", b"")
        if agent.startswith(b"Mozilla/"):
            await _error(ApiError("User agent not allowed", 403))(scope, receive, send_with_id)
            return
        # Beyond Toxiproxy: a non-browser agent string proves nothing, so Host, Origin and the body's
        # type are checked too. toxiproxy-python sends application/json (POST /reset: no body at all);
        # a body with no Content-Type is still taken, as Toxiproxy takes it.
        refusal = browser_refusal(scope["method"], scope.get("headers", []), untyped_body_ok=True)
        if refusal is not None:
            status, field, message = refusal
            await _error(ApiError(f"{field}: {message}", status))(scope, receive, send_with_id)
            return
        await self.app(scope, receive, send_with_id)


def build_app(proxies: ProxyCollection) -> Starlette:
    def api(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as err:
                return _error(err)

        return wrapped

    def proxy_json(name: str) -> dict[str, object]:
        return proxies.get(name).to_json()

    @api
    async def proxy_index(request: Request) -> Response:
        return JSONResponse({name: p.to_json() for name, p in proxies.all().items()})

    @api
    async def proxy_create(request: Request) -> Response:
        proxy = await proxies.create(await _json_body(request))
        return JSONResponse(proxy.to_json(), status_code=201)

    async def populate(request: Request) -> Response:
        try:
            created = await proxies.populate(await _json_body(request))
        except ApiError as err:
            return JSONResponse({**err.body(), "proxies": []}, status_code=err.status)
        return JSONResponse({"proxies": [p.to_json() for p in created]}, status_code=201)

    @api
    async def proxy_show(request: Request) -> Response:
        return JSONResponse(proxy_json(request.path_params["proxy"]))

    @api
    async def proxy_update(request: Request) -> Response:
        name = request.path_params["proxy"]
        proxies.get(name)
        proxy = await proxies.update(name, await _json_body(request))
        return JSONResponse(proxy.to_json())

    @api
    async def proxy_delete(request: Request) -> Response:
        await proxies.remove(request.path_params["proxy"])
        return Response(status_code=204)

    @api
    async def toxic_index(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        return JSONResponse([spec.to_json() for spec in proxy.toxics.all()])

    @api
    async def toxic_create(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        spec = await proxy.toxics.add(await _json_body(request))
        return JSONResponse(spec.to_json())

    @api
    async def toxic_show(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        name = request.path_params["toxic"]
        spec = proxy.toxics.get(name)
        if spec is None:
            raise toxic_not_found(name)
        return JSONResponse(spec.to_json())

    @api
    async def toxic_update(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        name = request.path_params["toxic"]
        if proxy.toxics.get(name) is None:
            raise toxic_not_found(name)
        spec = await proxy.toxics.update(name, await _json_body(request))
        return JSONResponse(spec.to_json())

    @api
    async def toxic_delete(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        await proxy.toxics.remove(request.path_params["toxic"])
        return Response(status_code=204)

    @api
    async def reset(request: Request) -> Response:
        await proxies.reset()
        return Response(status_code=204)

    async def version(request: Request) -> Response:
        return JSONResponse({"version": TOXIPROXY_VERSION})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return _error(ApiError(f"{message}: {request.method} {request.url.path}", exc.status_code))

    routes = [
        Route("/reset", reset, methods=["POST"]),
        Route("/proxies", proxy_index, methods=["GET"]),
        Route("/proxies", proxy_create, methods=["POST"]),
        Route("/populate", populate, methods=["POST"]),
        Route("/proxies/{proxy}", proxy_show, methods=["GET"]),
        Route("/proxies/{proxy}", proxy_update, methods=["POST", "PATCH"]),
        Route("/proxies/{proxy}", proxy_delete, methods=["DELETE"]),
        Route("/proxies/{proxy}/toxics", toxic_index, methods=["GET"]),
        Route("/proxies/{proxy}/toxics", toxic_create, methods=["POST"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_show, methods=["GET"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_update, methods=["POST", "PATCH"]),
        Route("/proxies/{proxy}/toxics/{toxic}", toxic_delete, methods=["DELETE"]),
        Route("/version", version, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.add_middleware(_RequestIdAndBrowserGuard)
    return app
