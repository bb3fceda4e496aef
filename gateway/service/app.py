"""The gateway as an ASGI service (a small raw-ASGI router, see ``asgi``).

Routes: ``POST /v1/appointments/parse``, ``POST /v1/chat/completions``,
``GET /metrics``, ``GET /healthz``, ``GET``/``PUT /admin/config``.
Every handler parses its input, runs a pure flow through ``interpreter.perform``
and renders the outcome; bad input is a 4xx naming the field, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from ..clock import Clock, MonotonicClock
from ..config import GatewayConfig
from ..core.chat import ChatOutcome, chat_completion
from ..core.gold_flow import gold_probe_flow
from ..core.observer import Observers
from ..core.pipeline import ParseOutcome, parse_appointment
from ..core.probes import PROBE_REQUEST, probe_due_providers, probe_period_s
from ..core.stack import Stack
from ..outcomes import PROVIDERS
from ..providers.base import ProviderClient
from ..providers.registry import make_client
from .admin import parse_admin_change
from .admin_apply import apply_admin_change
from .admission import Admission
from .asgi import AsgiRouter, Route
from .background import every
from .cache_backends import CacheBackend, MemoryBackend, RedisBackend
from .event_log import EventLog
from .guards import HostGuard
from .http import Headers, Request, Response, json_bytes, json_response
from .inputs import MAX_BODY, BadInput, chat_request, prompt_of, read_json, reference_date_of, request_id_of
from .interpreter import perform
from .metrics import GatewayMetrics
from .render import chat_body, chat_error_body, chat_headers, parse_body, parse_headers, retry_after
from .upstream_http import upstream_client
from .views import admin_view, health_json

__all__ = ["Gateway", "create_app"]

_METRICS_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def _error(status: int, field: str | None, message: str, kind: str = "invalid_request") -> Response:
    err: dict[str, Any] = {"type": kind, "message": message}
    if field is not None:
        err["field"] = field
    return json_response({"error": err}, status)


class Gateway:
    """The service's state: config, stack, clients, cache, metrics; and its handlers."""

    def __init__(
        self,
        config: GatewayConfig,
        clock: Clock | None = None,
        clients: Mapping[str, ProviderClient] | None = None,
        events_path: str | None = None,
        epoch: float | None = None,
        require_admin_token: bool = False,
    ) -> None:
        self.clock = clock or MonotonicClock()
        self.config = _with_reachable_providers(config, clients)
        self.observers = Observers()
        self.stack = Stack(self.config, self.clock, self.observers)
        self.metrics = GatewayMetrics(self.stack)
        self.observers.add(self.metrics)
        self.event_log: EventLog | None = None
        if events_path:
            self.event_log = EventLog(events_path, self.clock.now() if epoch is None else epoch)
            self.observers.add(self.event_log)
        self._given_clients = dict(clients) if clients is not None else None
        self.clients: dict[str, ProviderClient] = dict(clients or {})
        self.cache: CacheBackend = MemoryBackend(self.clock, self.config.cache.max_entries)
        self.require_admin_token = require_admin_token
        limits = self.config.limits
        self.admission = Admission(limits.max_in_flight)
        self.host_guard = HostGuard(limits.allowed_hosts)
        self.metrics.watch_service(lambda: self.admission.in_flight, lambda: self.cache.status()["up"] is True)
        self._shed_retry_after = retry_after(limits.shed_retry_after)
        self._http: httpx.AsyncClient | None = None
        #: send the fakes each call's key (harness only: real providers do not know the header)
        self._call_keys = self.config.harness.call_keys

    # -- lifecycle -----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        if self._given_clients is None:
            self._http = upstream_client(self.config.scaled(self.config.deadline))
            for name in self.stack.providers:
                p = self.config.providers[name]
                assert p.url is not None
                self.clients[name] = make_client(name, p.url, p.api_key, p.model, self._http)
        if self.config.cache.backend == "redis":
            if not self.config.cache.redis_url:
                raise RuntimeError("cache.backend is redis but cache.redis_url is not set")
            self.cache = RedisBackend(self.config.cache.redis_url, clock=self.clock,
                                      on_error=self.metrics.cache_errors.inc)
            await self.cache.ping()   # an outage from the start is logged and shown before any request
        period = probe_period_s(self.config)   # the twin's probe processes use the same period
        tasks = [asyncio.create_task(every(period, lambda: probe_due_providers(self.stack, PROBE_REQUEST),
                                           self.clients, lambda: self.cache, "probe cycle"))]
        if self.stack.gold_probe.enabled:
            # Its own task: a gold probe is a whole user request (up to the deadline), and must not hold
            # up the health probes that bring half-open breakers their trial calls.
            tasks.append(asyncio.create_task(every(period, lambda: gold_probe_flow(self.stack), self.clients,
                                                   lambda: self.cache, "gold probe")))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.cache.close()
            if self._http is not None:
                await self._http.aclose()
            if self.event_log is not None:
                self.event_log.close()

    # -- handlers ------------------------------------------------------------

    async def parse(self, request: Request) -> Response:
        received = self.clock.now()
        try:
            request_id = request_id_of(request)
            body = read_json(request)
            prompt = prompt_of(body, self.config.max_prompt_chars)
            reference = reference_date_of(body)
        except BadInput as bad:
            self.metrics.count_response("parse", bad.status)
            return _error(bad.status, bad.field, bad.message)
        flow = parse_appointment(self.stack, prompt, reference, received, request_id=request_id)
        outcome: ParseOutcome = await perform(flow, self.clients, self.cache, self._call_keys)
        self.metrics.count_response("parse", outcome.status)
        return Response(outcome.status, json_bytes(parse_body(outcome)), headers=parse_headers(outcome))

    async def chat(self, request: Request) -> Response:
        received = self.clock.now()
        try:
            request_id = request_id_of(request)
            chat = chat_request(read_json(request), self.config.max_prompt_chars)
        except BadInput as bad:
            self.metrics.count_response("chat", bad.status)
            return _openai_error(bad.status, bad.message, "invalid_request_error", bad.field)
        outcome: ChatOutcome = await perform(chat_completion(self.stack, chat, received, request_id), self.clients,
                                             self.cache, self._call_keys)
        self.metrics.count_response("chat", outcome.status)
        if outcome.completion is None:
            body = chat_error_body(outcome.error_message or "", outcome.error_type or "api_error", None,
                                   code=outcome.error_type)
        else:
            # "created" is wall-clock seconds by OpenAI's contract, not a reading of the stack's clock
            body = chat_body(outcome, f"chatcmpl-llmdrill-{int(received * 1e6)}", int(time.time()))
        return Response(outcome.status, json_bytes(body), headers=chat_headers(outcome))

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(200, self.metrics.render(), _METRICS_TYPE)

    async def healthz(self, request: Request) -> Response:
        now = self.clock.now()
        health = self.stack.router.health(now)
        cache_up = await self.cache.ping() if self.config.cache.enabled else True
        # Still 200: the gateway answers (cache misses) without its cache; "degraded" says what is missing.
        return json_response({"status": "ok" if cache_up else "degraded",
                              "providers": {n: health_json(h) for n, h in health.items()},
                              "cache": self.cache.status()})

    async def admin_get(self, request: Request) -> Response:
        if (denied := self._check_admin(request)) is not None:
            return denied
        return json_response(admin_view(self.stack, self.clock.now()))

    async def admin_put(self, request: Request) -> Response:
        if (denied := self._check_admin(request)) is not None:
            return denied
        try:
            self._apply_admin(read_json(request))
        except BadInput as bad:
            return _error(bad.status, bad.field, bad.message)
        return json_response(admin_view(self.stack, self.clock.now()))

    # -- gates -----------------------------------------------------------------

    def guard(self, route: Route, method: str, headers: Headers) -> Response | None:
        has_body = any((k == b"content-length" and v.strip() != b"0") or k == b"transfer-encoding"
                       for k, v in headers)
        refusal = self.host_guard.check(method, headers, has_body and route.reads_body)
        if refusal is None:
            return None
        self.metrics.count_response(_ENDPOINTS.get(route.path, "other"), refusal.status)
        return _error(refusal.status, refusal.field, refusal.message, "forbidden" if refusal.status == 403
                      else "unsupported_media_type")

    def shed(self, route: Route) -> Response:
        """The answer past the in-flight cap: 429 now, rather than a place in a queue too long to wait in."""
        endpoint = _ENDPOINTS.get(route.path, "other")
        self.metrics.count_response(endpoint, 429)
        self.metrics.count_admission_shed(endpoint)
        return _error(429, None, f"the gateway is at its cap of {self.admission.cap} requests in flight "
                                 "(limits.max_in_flight); retry after the Retry-After seconds",
                      "overloaded").with_headers(self._shed_retry_after)

    # -- admin -----------------------------------------------------------------

    def _check_admin(self, request: Request) -> Response | None:
        token = self.config.admin_token
        if token is None:
            if self.require_admin_token:
                return _error(403, None, "admin API disabled: bound beyond loopback without admin_token",
                              "forbidden")
            return None
        if (request.header(b"authorization") or "") != f"Bearer {token}":
            return _error(401, None, "missing or wrong bearer token", "unauthorized")
        return None

    def _apply_admin(self, body: Any) -> None:
        change = parse_admin_change(body, self.stack.breakers)
        # the twin's timeline applies admin steps through the same function
        self.observers.on_state(apply_admin_change(self.stack, change, self.clock.now()))


_ENDPOINTS = {"/v1/appointments/parse": "parse", "/v1/chat/completions": "chat", "/admin/config": "admin",
              "/metrics": "metrics", "/healthz": "healthz"}


def _with_reachable_providers(config: GatewayConfig, clients: Mapping[str, ProviderClient] | None) -> GatewayConfig:
    """Providers with no URL (and no injected client) are switched off, not left to fail every call."""
    providers = {}
    for name, p in config.providers.items():
        reachable = (clients is not None and name in clients) or (clients is None and p.url is not None)
        providers[name] = p if reachable or not p.enabled else p.model_copy(update={"enabled": False})
    if not any(p.enabled and p.weight > 0 for p in providers.values()):
        raise ValueError("no provider is reachable: give providers.<name>.url in the config or set "
                         + ", ".join(f"LLMDRILL_{n.upper()}_URL" for n in PROVIDERS))
    return config.model_copy(update={"providers": providers})


def _openai_error(status: int, message: str, kind: str, param: str | None, code: str | None = None) -> Response:
    return json_response(chat_error_body(message, kind, param, code), status)


def _unexpected(request: Request, exc: Exception) -> Response:
    return _error(500, None, f"internal error ({type(exc).__name__}); the gateway is still serving",
                  "internal_error")


def create_app(gateway: Gateway) -> AsgiRouter:
    """The ASGI application serving ``gateway``; its lifespan opens and closes the gateway's I/O."""
    return AsgiRouter(
        [
            Route("POST", "/v1/appointments/parse", gateway.parse, reads_body=True, admitted=True),
            Route("POST", "/v1/chat/completions", gateway.chat, reads_body=True, admitted=True),
            Route("GET", "/metrics", gateway.metrics_endpoint),
            Route("GET", "/healthz", gateway.healthz),
            Route("GET", "/admin/config", gateway.admin_get),
            Route("PUT", "/admin/config", gateway.admin_put, reads_body=True),
        ],
        max_body=MAX_BODY,
        on_error=_unexpected,
        lifespan=gateway.lifespan,
        guard=gateway.guard,
        admission=gateway.admission,
        on_shed=gateway.shed,
    )
