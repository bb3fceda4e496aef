"""The gateway as an ASGI service (Starlette).

Routes: ``POST /v1/appointments/parse``, ``POST /v1/chat/completions``,
``GET /metrics``, ``GET /healthz``, ``GET``/``PUT /admin/config``.
Every handler parses its input, runs a pure flow through ``interpreter.perform``
and renders the outcome; bad input is a 4xx naming the field, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..clock import Clock, MonotonicClock
from ..config import GatewayConfig
from ..core.chat import ChatOutcome, chat_completion
from ..core.llm_flow import probe_due_providers
from ..core.observer import Observers, StateEvent
from ..core.pipeline import ParseOutcome, parse_appointment
from ..core.stack import Stack
from ..outcomes import PROVIDERS, ChatRequest, Message
from ..providers.base import ProviderClient
from ..providers.registry import make_client
from .cache_backends import CacheBackend, MemoryBackend, RedisBackend
from .event_log import EventLog
from .interpreter import perform
from .metrics import GatewayMetrics

log = logging.getLogger("llmdrill.gateway")

_MAX_BODY = 1 << 20          # 1 MiB: a prompt bigger than that is not an appointment request
_PROBE_REQUEST = ChatRequest((Message("user", "ping"),), max_tokens=5)


class BadInput(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status,
                    headers=dict(headers or {}), media_type="application/json")


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
        self._http: httpx.AsyncClient | None = None
        self._probe_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self._given_clients is None:
            self._http = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=2000, max_keepalive_connections=200),
                timeout=httpx.Timeout(self.config.scaled(self.config.deadline)),
            )
            for name in self.stack.providers:
                p = self.config.providers[name]
                assert p.url is not None
                self.clients[name] = make_client(name, p.url, p.api_key, p.model, self._http)
        if self.config.cache.backend == "redis":
            if not self.config.cache.redis_url:
                raise RuntimeError("cache.backend is redis but cache.redis_url is not set")
            self.cache = RedisBackend(self.config.cache.redis_url)
        self._probe_task = asyncio.create_task(self._probe_loop())
        try:
            yield
        finally:
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe_task
            await self.cache.close()
            if self._http is not None:
                await self._http.aclose()
            if self.event_log is not None:
                self.event_log.close()

    async def _probe_loop(self) -> None:
        period = max(0.05, min(1.0, self.config.scaled(self.config.router.probe_interval) / 10))
        while True:
            await asyncio.sleep(period)
            try:
                await perform(probe_due_providers(self.stack, _PROBE_REQUEST), self.clients, self.cache)
            except Exception:  # a probe must never take the gateway down
                log.exception("probe cycle failed")

    # -- handlers ------------------------------------------------------------

    async def parse(self, request: Request) -> Response:
        received = self.clock.now()
        try:
            body = await _read_json(request)
            prompt = _prompt(body, self.config.max_prompt_chars)
            reference = _reference_date(body)
        except BadInput as bad:
            self.metrics.responses.labels("parse", str(bad.status)).inc()
            return _error(bad.status, bad.field, bad.message)
        outcome: ParseOutcome = await perform(
            parse_appointment(self.stack, prompt, reference, received), self.clients, self.cache)
        self.metrics.responses.labels("parse", str(outcome.status)).inc()
        return json_response(outcome.body, outcome.status, outcome.headers())

    async def chat(self, request: Request) -> Response:
        received = self.clock.now()
        try:
            body = await _read_json(request)
            chat = _chat_request(body, self.config.max_prompt_chars)
        except BadInput as bad:
            self.metrics.responses.labels("chat", str(bad.status)).inc()
            return _openai_error(bad.status, bad.message, "invalid_request_error", bad.field)
        outcome: ChatOutcome = await perform(chat_completion(self.stack, chat, received), self.clients, self.cache)
        self.metrics.responses.labels("chat", str(outcome.status)).inc()
        if outcome.completion is None:
            headers = {}
            if outcome.retry_after_s is not None:
                headers["retry-after"] = str(max(1, int(outcome.retry_after_s + 0.999)))
            resp = _openai_error(outcome.status, outcome.error_message or "", outcome.error_type or "api_error",
                                 None, code=outcome.error_type)
            resp.headers.update(headers)
            return resp
        c = outcome.completion
        return json_response({
            "id": f"chatcmpl-llmdrill-{int(received * 1e6)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": c.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": c.text},
                         "finish_reason": c.finish_reason}],
            "usage": {"prompt_tokens": c.usage.prompt_tokens, "completion_tokens": c.usage.completion_tokens,
                      "total_tokens": c.usage.total_tokens},
        }, headers={"x-llmdrill-provider": c.provider, "x-llmdrill-cache": "hit" if outcome.cache_hit else "miss",
                    "x-llmdrill-attempts": str(outcome.attempts)})

    async def metrics_endpoint(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def healthz(self, request: Request) -> Response:
        now = self.clock.now()
        health = self.stack.router.health(now)
        return json_response({"status": "ok", "providers": {n: _health_json(h) for n, h in health.items()}})

    async def admin_get(self, request: Request) -> Response:
        if (denied := self._check_admin(request)) is not None:
            return denied
        return json_response(self._admin_view())

    async def admin_put(self, request: Request) -> Response:
        if (denied := self._check_admin(request)) is not None:
            return denied
        try:
            body = await _read_json(request)
            self._apply_admin(body)
        except BadInput as bad:
            return _error(bad.status, bad.field, bad.message)
        return json_response(self._admin_view())

    # -- admin -----------------------------------------------------------------

    def _check_admin(self, request: Request) -> Response | None:
        token = self.config.admin_token
        if token is None:
            if self.require_admin_token:
                return _error(403, None, "admin API disabled: bound beyond loopback without admin_token",
                              "forbidden")
            return None
        if request.headers.get("authorization", "") != f"Bearer {token}":
            return _error(401, None, "missing or wrong bearer token", "unauthorized")
        return None

    def _admin_view(self) -> dict[str, Any]:
        now = self.clock.now()
        mode = self.stack.mode_view(now)
        return {
            "provider": self.stack.router.override or "auto",
            "conservation_mode": mode.conservation,
            "degraded_mode": mode.degraded,
            "breakers": {n: str(b.state(now)) for n, b in self.stack.breakers.items()},
            "health": {n: _health_json(h) for n, h in self.stack.router.health(now).items()},
            "quota": {n: {"remaining_requests": q.remaining_requests, "remaining_tokens": q.remaining_tokens}
                      for n, q in self.stack.quota.items()},
        }

    def _apply_admin(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadInput(400, "(body)", "expected a JSON object")
        allowed = {"provider", "conservation_mode", "degraded_mode", "breakers"}
        for key in body:
            if key not in allowed:
                raise BadInput(400, key, f"unknown field; expected one of {sorted(allowed)}")
        now = self.clock.now()
        changes: dict[str, Any] = {}
        if "provider" in body:
            p = body["provider"]
            if p is not None and p != "auto" and p not in self.stack.breakers:
                raise BadInput(400, "provider", f"unknown provider {p!r}; expected auto or one of "
                                                f"{sorted(self.stack.breakers)}")
            self.stack.router.set_override(None if p in (None, "auto") else p)
            changes["provider"] = p or "auto"
        modes: dict[str, bool | None] = {}
        for field, name in (("conservation_mode", "conservation"), ("degraded_mode", "degraded")):
            if field in body:
                v = body[field]
                if v not in (True, False, "auto", None):
                    raise BadInput(400, field, "expected true, false or \"auto\"")
                modes[name] = None if v in ("auto", None) else bool(v)
                changes[field] = v
        if modes:
            self.stack.modes.set_manual(now, **modes)
        if "breakers" in body:
            b = body["breakers"]
            if not isinstance(b, dict):
                raise BadInput(400, "breakers", "expected an object {provider: force_open|disable|reset}")
            for name, action in b.items():
                breaker = self.stack.breakers.get(name)
                if breaker is None:
                    raise BadInput(400, f"breakers.{name}", "unknown provider")
                if action == "force_open":
                    breaker.force_open(now)
                elif action == "disable":
                    breaker.disable(now)
                elif action == "reset":
                    breaker.reset(now)
                else:
                    raise BadInput(400, f"breakers.{name}", "expected force_open, disable or reset")
            changes["breakers"] = b
        self.observers.on_state(StateEvent(now, "admin", changes))


def _health_json(h: Any) -> dict[str, Any]:
    return {"state": str(h.state), "healthy": bool(h.healthy), "error_rate": round(float(h.error_rate), 4),
            "latency_s": round(float(h.latency_s), 4)}


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


async def _read_json(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > _MAX_BODY:
        raise BadInput(413, "(body)", f"request body larger than {_MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise BadInput(413, "(body)", f"request body larger than {_MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(400, "(body)", f"body is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadInput(400, "(body)", f"body is not valid JSON: {exc}") from None


def _prompt(body: Any, limit: int) -> str:
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object with a prompt")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInput(400, "prompt", "expected a non-empty string")
    if len(prompt) > limit:
        raise BadInput(413, "prompt", f"prompt has {len(prompt)} characters; the limit is {limit}")
    return prompt


def _reference_date(body: dict[str, Any]) -> date:
    raw = body.get("reference_date")
    if raw is None:
        return date.today()
    if not isinstance(raw, str):
        raise BadInput(400, "reference_date", "expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(400, "reference_date", f"expected a date as YYYY-MM-DD, got {raw!r}") from None


def _chat_request(body: Any, limit: int) -> ChatRequest:
    if not isinstance(body, dict):
        raise BadInput(400, "(body)", "expected a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadInput(400, "messages", "expected a non-empty array of {role, content}")
    messages = []
    total = 0
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise BadInput(400, f"messages[{i}].role", "expected system, user or assistant")
        content = m.get("content")
        if isinstance(content, list):  # OpenAI's content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise BadInput(400, f"messages[{i}].content", "expected a string")
        total += len(content)
        messages.append(Message(m["role"], content))
    if total > limit:
        raise BadInput(413, "messages", f"messages have {total} characters; the limit is {limit}")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 500))
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 100_000:
        raise BadInput(400, "max_tokens", "expected an integer from 1 to 100000")
    temperature = body.get("temperature", 0.0)
    if not isinstance(temperature, int | float) or isinstance(temperature, bool) or not 0 <= temperature <= 2:
        raise BadInput(400, "temperature", "expected a number from 0 to 2")
    if body.get("stream"):
        raise BadInput(400, "stream", "streaming is not supported by the gateway's pass-through")
    model = body.get("model")
    return ChatRequest(tuple(messages), max_tokens, float(temperature),
                       model if isinstance(model, str) else None)


def _openai_error(status: int, message: str, kind: str, param: str | None, code: str | None = None) -> Response:
    return json_response({"error": {"message": message, "type": kind, "param": param, "code": code}}, status)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return _error(500, None, f"internal error ({type(exc).__name__}); the gateway is still serving",
                  "internal_error")


def create_app(gateway: Gateway) -> Starlette:
    return Starlette(
        exception_handlers={Exception: _unexpected},
        routes=[
            Route("/v1/appointments/parse", gateway.parse, methods=["POST"]),
            Route("/v1/chat/completions", gateway.chat, methods=["POST"]),
            Route("/metrics", gateway.metrics_endpoint, methods=["GET"]),
            Route("/healthz", gateway.healthz, methods=["GET"]),
            Route("/admin/config", gateway.admin_get, methods=["GET"]),
            Route("/admin/config", gateway.admin_put, methods=["PUT"]),
        ],
        lifespan=gateway.lifespan,
    )
